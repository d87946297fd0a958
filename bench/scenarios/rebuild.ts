/**
 * Scenario 4: a full projection rebuild of the ingest scenario's log.
 * Ours: `opledger replay`. Ceiling: reading the same log raw
 * (COPY … TO STDOUT), which any rebuild has to do at least. Baseline: a naive
 * per-operation rebuild (read one operation's events, fold, write its row).
 */
import { Client } from 'pg';
import { naiveRebuild } from '../contenders/naive-rebuild';
import { runServiceRebuild } from '../contenders/service-rebuild';
import { copyTo } from '../support/pg-copy';
import { printTable, round } from '../support/report';
import { migrate } from '../support/schema';
import { runSql } from '../support/sql';
import { loadEventLog } from '../workload/event-log-loader';
import { verifyOurProjections } from '../workload/verify-projections';
import { workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const DEFAULT_EVENTS = 1_000_000;
const QUICK_EVENTS = 50_000;

export async function rebuildScenario({ options, infrastructure, runId }: ScenarioContext) {
  const workload = workloadFor(options.events ?? (options.quick ? QUICK_EVENTS : DEFAULT_EVENTS));
  const databaseUrl = await infrastructure.createDatabase(`bench_rebuild_${runId}`);
  await migrate(databaseUrl);
  progress(`loading the ingest scenario's log: ${workload.events.toLocaleString()} events`);
  await loadEventLog(databaseUrl, workload, { withProjections: true });

  progress('ceiling: COPY (SELECT … FROM operation_events) TO STDOUT');
  const ceiling = await readCeiling(databaseUrl);
  const ceilingRate = workload.events / ceiling.seconds;

  progress('ours: opledger replay');
  // A rebuild must produce the projection from the log alone: start from an empty one.
  await runSql(databaseUrl, 'TRUNCATE operations');
  const rebuilt = await runServiceRebuild(databaseUrl);
  const ours = {
    seconds: round(rebuilt.seconds),
    eventsPerSecond: round(workload.events / rebuilt.seconds, 0),
    peakRssMiB: round(rebuilt.peakRssMiB, 1),
    check: await verifyOurProjections(databaseUrl, workload),
  };

  progress('baseline: naive per-operation rebuild');
  const started = Date.now();
  const naive = await naiveRebuild(databaseUrl);
  const baselineSeconds = (Date.now() - started) / 1000;
  const baseline = { seconds: round(baselineSeconds), eventsPerSecond: round(naive.events / baselineSeconds, 0) };

  const ratios = {
    oursToCeiling: round(ours.eventsPerSecond / ceilingRate, 3),
    oursToBaseline: round(ours.eventsPerSecond / baseline.eventsPerSecond, 2),
  };
  printTable(
    `rebuild: ${workload.events.toLocaleString()} events, ${workload.operations.toLocaleString()} operations`,
    ['contender', 'seconds', 'events/s', 'vs ceiling', 'wrong states', 'peak RSS MiB'],
    [
      [
        'ours (opledger replay)',
        ours.seconds,
        ours.eventsPerSecond,
        ratios.oursToCeiling,
        ours.check.wrongState,
        ours.peakRssMiB,
      ],
      ['ceiling (raw COPY read)', round(ceiling.seconds), round(ceilingRate, 0), 1, null, null],
      [
        'baseline (naive per-operation)',
        baseline.seconds,
        baseline.eventsPerSecond,
        round(baseline.eventsPerSecond / ceilingRate, 3),
        null,
        null,
      ],
    ],
  );
  console.log(`ours / ceiling = ${ratios.oursToCeiling}  (target >= 0.2, issue 17)`);
  if (ours.check.wrongState !== 0 || ours.check.missing !== 0) {
    throw new Error(`the rebuilt projection differs from the fold: ${JSON.stringify(ours.check)}`);
  }
  return {
    workload: { operations: workload.operations, events: workload.events },
    ours,
    ceiling: { seconds: round(ceiling.seconds), eventsPerSecond: round(ceilingRate, 0), megabytes: ceiling.megabytes },
    baseline,
    ratios,
    targets: { oursToCeilingAtLeast: 0.2, peakRssMiBAtMost: 512 },
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
