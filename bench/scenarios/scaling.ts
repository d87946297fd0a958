/**
 * Scaling on one machine (docs/scaling.md): the same preloaded backlog consumed
 * by 1, 2 and 3 service instances sharing one consumer group and one Postgres.
 * Each run gets its own database and group; every projection is checked against
 * the fold afterwards, so "faster" can never hide "wrong".
 */
import { Client } from 'pg';
import { printTable, round } from '../support/report';
import { startService, type ServiceProcess } from '../support/service-process';
import { preloadTopic } from '../workload/preload-topic';
import { verifyOurProjections } from '../workload/verify-projections';
import { workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const DEFAULT_EVENTS = 300_000;
const QUICK_EVENTS = 20_000;
const INSTANCE_COUNTS = [1, 2, 3];
const POLL_MS = 50;

export async function scalingScenario({ options, infrastructure, runId }: ScenarioContext) {
  const workload = workloadFor(options.events ?? (options.quick ? QUICK_EVENTS : DEFAULT_EVENTS));
  const topic = `bench-scaling-${runId}`;
  progress(`preloading ${workload.events.toLocaleString()} events into ${topic}`);
  const preload = await preloadTopic(infrastructure.brokers, topic, workload);

  const runs = [];
  for (const instances of INSTANCE_COUNTS) {
    const databaseUrl = await infrastructure.createDatabase(`bench_scaling_${instances}_${runId}`);
    progress(`${instances} instance(s) on the backlog`);
    const measured = await measureInstances(instances, {
      databaseUrl,
      brokers: infrastructure.brokers,
      topic,
      groupId: `bench-scaling-${instances}-${runId}`,
      events: workload.events,
    });
    const check = await verifyOurProjections(databaseUrl, workload);
    runs.push({ instances, ...measured, check });
  }

  const single = runs[0].eventsPerSecond;
  const result = {
    workload: {
      operations: workload.operations,
      distinctEvents: workload.events,
      records: preload.records,
      partitions: 12,
    },
    runs: runs.map((run) => ({ ...run, speedupOverOne: round(run.eventsPerSecond / single, 2) })),
  };
  printTable(
    `scaling: ${workload.events.toLocaleString()} events, 12 partitions, instances sharing one group and one Postgres`,
    ['instances', 'seconds', 'events/s', 'vs 1 instance', 'wrong states', 'missing', 'max peak RSS MiB'],
    result.runs.map((run) => [
      run.instances,
      run.seconds,
      run.eventsPerSecond,
      run.speedupOverOne,
      run.check.wrongState,
      run.check.missing,
      run.maxPeakRssMiB,
    ]),
  );
  for (const run of runs) {
    if (run.check.wrongState !== 0 || run.check.missing !== 0) {
      throw new Error(`${run.instances} instance(s) diverged from the fold: ${JSON.stringify(run.check)}`);
    }
  }
  return result;
}

interface Target {
  databaseUrl: string;
  brokers: string[];
  topic: string;
  groupId: string;
  events: number;
}

async function measureInstances(count: number, { databaseUrl, brokers, topic, groupId, events }: Target) {
  // Started together, so that the group forms once rather than rebalancing under load.
  const services: ServiceProcess[] = await Promise.all(
    Array.from({ length: count }, () => startService({ databaseUrl, brokers, topic, groupId })),
  );
  const readyAt = Date.now();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let finishedAt = 0;
    while (!finishedAt) {
      const stored = await client.query<{ n: string }>('SELECT count(*) AS n FROM operation_events');
      if (Number(stored.rows[0].n) >= events) finishedAt = Date.now();
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const first = await client.query<{ at: Date }>('SELECT min(recorded_at) AS at FROM operation_events');
    const seconds = (finishedAt - Math.min(readyAt, first.rows[0].at.getTime())) / 1000;
    return {
      seconds: round(seconds),
      eventsPerSecond: round(events / seconds, 0),
      maxPeakRssMiB: round(Math.max(...services.map((s) => s.peakRssMiB())), 1),
    };
  } finally {
    await client.end();
    await Promise.all(services.map((s) => s.stop()));
  }
}
