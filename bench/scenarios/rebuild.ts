/**
 * Scenario 4: a full projection rebuild of the ingest scenario's log.
 * Ceiling: reading the same log raw (COPY … TO STDOUT), which any rebuild has
 * to do at least. Baseline: a naive per-operation rebuild.
 */
import { Client } from 'pg';
import { naiveRebuild } from '../contenders/naive-rebuild';
import { copyTo } from '../support/pg-copy';
import { printTable, round } from '../support/report';
import { migrate } from '../support/schema';
import { loadEventLog } from '../workload/event-log-loader';
import { workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const DEFAULT_EVENTS = 1_000_000;
const QUICK_EVENTS = 50_000;

/**
 * Placeholder for the service's own rebuild (`opledger replay`, src/replay),
 * which is being written now. It fails loudly rather than report a number
 * for something that does not exist yet.
 */
async function runServiceRebuild(_databaseUrl: string): Promise<{ seconds: number; peakRssMiB: number }> {
  throw new Error(
    'rebuild not implemented yet: there is no `opledger replay` command to measure (src/replay is in progress)',
  );
}

export async function rebuildScenario({ options, infrastructure, runId }: ScenarioContext) {
  const workload = workloadFor(options.events ?? (options.quick ? QUICK_EVENTS : DEFAULT_EVENTS));
  const databaseUrl = await infrastructure.createDatabase(`bench_rebuild_${runId}`);
  await migrate(databaseUrl);
  progress(`loading the ingest scenario's log: ${workload.events.toLocaleString()} events`);
  await loadEventLog(databaseUrl, workload, { withProjections: true });

  progress('ceiling: COPY (SELECT … FROM operation_events) TO STDOUT');
  const ceiling = await readCeiling(databaseUrl);
  progress('baseline: naive per-operation rebuild');
  const started = Date.now();
  const naive = await naiveRebuild(databaseUrl);
  const baselineSeconds = (Date.now() - started) / 1000;

  const rows: (string | number | null)[][] = [
    ['ceiling (raw COPY read)', round(ceiling.seconds), round(workload.events / ceiling.seconds, 0), ceiling.megabytes],
    ['baseline (naive per-operation)', round(baselineSeconds), round(naive.events / baselineSeconds, 0), null],
  ];
  let ours: { seconds: number; eventsPerSecond: number; peakRssMiB: number } | null = null;
  let failure: Error | null = null;
  try {
    const rebuilt = await runServiceRebuild(databaseUrl);
    ours = { ...rebuilt, eventsPerSecond: round(workload.events / rebuilt.seconds, 0) };
    rows.unshift(['ours (opledger replay)', round(ours.seconds), ours.eventsPerSecond, null]);
  } catch (error) {
    failure = error as Error;
    rows.unshift(['ours (opledger replay)', 'NOT IMPLEMENTED', null, null]);
  }
  printTable(
    `rebuild: ${workload.events.toLocaleString()} events, ${workload.operations.toLocaleString()} operations`,
    ['contender', 'seconds', 'events/s', 'MB read'],
    rows,
  );
  if (failure) throw failure;
  return {
    workload: { operations: workload.operations, events: workload.events },
    ours,
    ceiling: {
      seconds: round(ceiling.seconds),
      eventsPerSecond: round(workload.events / ceiling.seconds, 0),
      megabytes: ceiling.megabytes,
    },
    baseline: { seconds: round(baselineSeconds), eventsPerSecond: round(naive.events / baselineSeconds, 0) },
    ratios: { oursToCeiling: ours ? round(ours.eventsPerSecond / (workload.events / ceiling.seconds), 3) : null },
    targets: { oursToCeilingAtLeast: 0.5, peakRssMiBAtMost: 512 },
  };
}

async function readCeiling(databaseUrl: string): Promise<{ seconds: number; megabytes: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let bytes = 0;
    const started = Date.now();
    await copyTo(
      client,
      'COPY (SELECT position, operation_id, version, event_id, type, source, occurred_at, data FROM operation_events ORDER BY position) TO STDOUT',
      (chunk) => (bytes += chunk.length),
    );
    return { seconds: (Date.now() - started) / 1000, megabytes: round(bytes / 1e6, 1) };
  } finally {
    await client.end();
  }
}
