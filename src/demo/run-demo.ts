import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, Option } from 'commander';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../app-factory';
import { integerArgument } from '../cli/cli-arguments';
import { renderGantt } from '../cli/commands/render/gantt-chart';
import { formatDurationMs } from '../cli/commands/render/durations';
import { OpledgerApi } from '../client/opledger-api';
import { OpledgerClient } from '../client/opledger-client';
import { ConfigError, loadConfig } from '../config/app-config';
import { type LocalInfrastructure, provideInfrastructure } from '../local-infra/local-infrastructure';
import { generateDocuments } from './demo-documents';
import { LiveSummary } from './live-summary';
import { SeededRandom } from './seeded-random';
import {
  type DocumentOutcome,
  PIPELINE_DIAGRAM,
  PIPELINE_STAGES,
  type PipelineStage,
  SimulatedPipeline,
} from './simulated-pipeline';

interface DemoOptions {
  documents: number;
  concurrency: number;
  speed: number;
  seed: number;
  report?: string;
  keepRunning?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`[demo] ${line}\n`);
const count = (n: number) => n.toLocaleString('en-US');

function parseOptions(argv: readonly string[]): DemoOptions {
  const speed = (raw: string) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || value > 100) throw new Error('--speed must be a number in (0, 100]');
    return value;
  };
  return new Command('npm run demo --')
    .description('opledger with a simulated pipeline: ingest → validate → enrich-geo ∥ enrich-score → merge → publish')
    .addOption(
      new Option('--documents <n>', 'documents to process')
        .argParser(integerArgument('--documents', 1, 100_000))
        .default(300),
    )
    .addOption(
      new Option('--concurrency <n>', 'documents in flight at once')
        .argParser(integerArgument('--concurrency', 1, 1000))
        .default(40),
    )
    .addOption(new Option('--speed <factor>', 'latency factor: 0.1 runs ten times faster').argParser(speed).default(1))
    .addOption(new Option('--seed <n>', 'random seed').argParser(integerArgument('--seed', 0)).default(42))
    .option('--report <file>', 'write what every operation must look like, as JSON (for tests)')
    .option('--keep-running', 'keep the service running afterwards, to explore with the CLI, until Ctrl-C')
    .parse(argv)
    .opts<DemoOptions>();
}

/** The service of `npm start`, in this process, on the embedded defaults (its own DATA_DIR: .data/demo). */
async function startService(): Promise<{
  infrastructure: LocalInfrastructure;
  app: NestFastifyApplication;
  url: string;
}> {
  const config = loadConfig({
    ...process.env,
    DATA_DIR: process.env.DATA_DIR || '.data/demo',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  note('starting opledger (the first run fetches the Kafka broker and sets up Postgres: a minute or so)');
  const infrastructure = await provideInfrastructure(config, note);
  try {
    const app = await createApp(infrastructure.config);
    try {
      await app.listen(infrastructure.config.port, infrastructure.config.host);
    } catch (error) {
      await app.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`port ${infrastructure.config.port} is in use (is \`npm start\` running?): set PORT=...`);
      }
      throw error;
    }
    const { port } = app.getHttpServer().address() as AddressInfo;
    return { infrastructure, app, url: `http://${infrastructure.config.host}:${port}` };
  } catch (error) {
    await infrastructure.stop();
    throw error;
  }
}

async function waitUntilReady(api: OpledgerApi, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await api.isReady().catch(() => false))) {
    if (signal.aborted) throw signal.reason;
    if (Date.now() > deadline) throw new Error('the service did not become ready within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (signal.aborted) throw signal.reason;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The operation whose chart tells the most: a finished one with the most retried attempts. */
function operationToChart(outcomes: readonly DocumentOutcome[]): DocumentOutcome | undefined {
  const retries = (o: DocumentOutcome) =>
    Object.values(o.attempts).reduce((sum, attempts) => sum + Math.max(0, (attempts ?? 0) - 1), 0);
  return [...outcomes]
    .filter((o) => o.status !== 'interrupted')
    .sort((a, b) => retries(b) - retries(a) || Number(b.status === 'succeeded') - Number(a.status === 'succeeded'))[0];
}

async function runDemo(options: DemoOptions, interrupt: AbortSignal): Promise<void> {
  const { infrastructure, app, url } = await startService();
  const clients: OpledgerClient[] = [];
  try {
    const apiKey = process.env.OPLEDGER_API_KEY;
    const api = new OpledgerApi({ url, apiKey });
    await waitUntilReady(api, interrupt);
    note(`opledger is ready at ${url}`);

    // One SDK client per service, as in production: each has its own source; publish reports over HTTP.
    const { kafkaBrokers, kafkaTopic } = infrastructure.config;
    const services = Object.fromEntries(
      PIPELINE_STAGES.map((stage) => {
        const source = `pipeline/${stage}`;
        const client =
          stage === 'publish'
            ? new OpledgerClient({ source, http: { url, apiKey } })
            : new OpledgerClient({
                source,
                kafka: { brokers: kafkaBrokers, topic: kafkaTopic, clientId: `demo-${stage}` },
              });
        clients.push(client);
        return [stage, client];
      }),
    ) as Record<PipelineStage, OpledgerClient>;

    const runId = randomBytes(3).toString('hex');
    const random = new SeededRandom(options.seed);
    const documents = generateDocuments(runId, options.documents, random);
    const pipeline = new SimulatedPipeline(services, {
      speed: options.speed,
      concurrency: options.concurrency,
      random,
      signal: interrupt,
    });
    const summary = new LiveSummary(api, `doc-${runId}-`, documents.length, pipeline.counters);
    await summary.start();
    say(`run ${runId}: ${count(documents.length)} documents through ${PIPELINE_DIAGRAM}`);
    say(`watch it in the console: ${url}/console/operations`);
    const startedAt = Date.now();
    let outcomes: DocumentOutcome[];
    try {
      outcomes = await pipeline.run(documents);
      const expected = outcomes.reduce((sum, o) => sum + o.eventIds.length, 0);
      // The pipeline is done when it has sent everything; opledger is done when it has stored it.
      await waitFor('opledger to store every event', () => summary.storedEvents >= expected, 120_000, interrupt);
    } finally {
      await summary.finish();
    }

    const outcomesOf = (status: DocumentOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    const unique = outcomes.reduce((sum, o) => sum + o.eventIds.length, 0);
    const counters = pipeline.counters;
    say('');
    say(
      `done in ${formatDurationMs(Date.now() - startedAt)}: ${count(outcomesOf('succeeded'))} succeeded, ` +
        `${count(outcomesOf('failed'))} failed, ${count(outcomesOf('interrupted'))} interrupted`,
    );
    say(
      `${count(counters.eventsSent)} events sent, ${count(unique)} stored: ${count(counters.duplicateSends)} duplicate ` +
        `sends dropped by event id; ${count(counters.lateEvents)} late events stored without overwriting anything newer`,
    );

    const charted = operationToChart(outcomes);
    if (charted) {
      const timeline = await api.getTimeline(charted.id);
      say('');
      say(renderGantt(timeline, { width: 60, color: process.stdout.isTTY === true }));
    }
    if (options.report) {
      writeFileSync(options.report, JSON.stringify({ runId, url, charted: charted?.id ?? null, outcomes }, null, 2));
    }
    if (options.keepRunning && !interrupt.aborted) {
      say('');
      say(`opledger keeps running at ${url}; open the console in a browser:`);
      say(`  ${url}/console/${charted ? `operations/${charted.id}` : ''}`);
      say('or try, in another terminal:');
      say(`  npx opledger stats --url ${url}`);
      if (charted) say(`  npx opledger timeline ${charted.id} --url ${url}`);
      say('Ctrl-C stops everything.');
      await new Promise((resolve) => interrupt.addEventListener('abort', resolve, { once: true }));
    }
  } finally {
    note('stopping the pipeline, opledger, Kafka and Postgres');
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    // Every connection left is this process's own fetch keep-alive pool (the summary, the HTTP
    // publisher); the server would wait a minute for them to time out before it closes.
    (app.getHttpServer() as Server).closeAllConnections();
    await app.close();
    await infrastructure.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  const interrupt = new AbortController();
  // Every document in flight waits on this one signal.
  setMaxListeners(0, interrupt.signal);
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    note('interrupted: finishing the documents in flight is skipped; stopping (Ctrl-C again to quit at once)');
    interrupt.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runDemo(options, interrupt.signal);
    // Kafka and Postgres clients may leave timers behind: the demo is over, so end the process.
    process.exit(interrupt.signal.aborted && !options.keepRunning ? 130 : 0);
  } catch (error) {
    if (error instanceof ConfigError) note(error.message);
    else if (interrupt.signal.aborted) process.exit(130);
    else note(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  }
}

void main();
