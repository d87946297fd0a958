/**
 * `npm run bench -- <scenario> [--events N] [--quick] [--skip-build]`
 *
 * Starts Postgres and Kafka (or uses DATABASE_URL / KAFKA_BROKERS), builds and
 * runs the service as a separate process, measures it against a baseline and a
 * ceiling in the same run, prints a table and writes bench/results/<scenario>.json.
 */
import 'reflect-metadata';
import { parseArgs, type ScenarioName } from './support/cli';
import { startInfrastructure } from './support/infrastructure';
import { machineFacts } from './support/machine';
import { writeResult } from './support/report';
import { buildService, serviceDist } from './support/service-process';
import { apiScenario } from './scenarios/api';
import { httpAppendScenario } from './scenarios/http-append';
import { ingestScenario } from './scenarios/ingest';
import { latencyScenario } from './scenarios/latency';
import { rebuildScenario } from './scenarios/rebuild';
import { scalingScenario } from './scenarios/scaling';
import { progress, type Scenario } from './scenarios/scenario';

const SCENARIOS: Record<ScenarioName, Scenario> = {
  ingest: ingestScenario,
  latency: latencyScenario,
  api: apiScenario,
  rebuild: rebuildScenario,
  scaling: scalingScenario,
  'http-append': httpAppendScenario,
  reads: (context) => import('./scenarios/reads').then((m) => m.readsScenario(context)),
  console: (context) => import('./scenarios/console').then((m) => m.consoleScenario(context)),
};

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.skipBuild) {
    progress('building the service (npm run build)');
    buildService();
  }
  serviceDist();
  const infrastructure = await startInfrastructure();
  const stopOnSignal = () => void infrastructure.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const machine = machineFacts({ postgres: infrastructure.postgresVersion, kafka: infrastructure.kafkaVersion });
    const runId = Date.now().toString(36);
    const figures = await SCENARIOS[options.scenario]({ options, infrastructure, runId });
    const file = writeResult(
      {
        scenario: options.scenario,
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
        quick: options.quick,
        machine,
        ...figures,
      },
      options.skipBaseline ? 'partial' : options.quick ? 'quick' : null,
    );
    progress(`results written to ${file}`);
  } finally {
    await infrastructure.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
