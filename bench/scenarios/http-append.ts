/**
 * Scenario 6: HTTP appends. autocannon POSTs fresh CloudEvents (one per
 * request, or batches of 10) for random operations among 10,000, at 16 and 64
 * connections, to three servers on the same Postgres, in the same run:
 *
 * - ours: the service (POST /v1/operations/{id}/events);
 * - baseline: the seed's design behind a bare Fastify route, one upsert of the
 *   operation's row per event (bench/servers/seed-http-server.ts);
 * - ceiling: a bare Fastify route writing each request's events into the log
 *   table with one multi-row INSERT, nothing else (bench/servers/log-insert-server.ts).
 *
 * The three servers run side by side and take turns for each shape, so that a
 * change in the machine's load hits all three alike. Afterwards the log of ours
 * and of the ceiling must hold every event that was answered 2xx, and nothing
 * more than those plus the requests still on the wire when autocannon stopped.
 */
import autocannon from 'autocannon';
import { Client } from 'pg';
import { SEED_SCHEMA } from '../contenders/seed-design';
import { startHelperServer, type HelperServer } from '../support/helper-server';
import { postgresServerCpuMs, postmasterPidOf, processCpuMs } from '../support/process-cpu';
import { printTable, round } from '../support/report';
import { migrate } from '../support/schema';
import { startService, type ServiceProcess } from '../support/service-process';
import { progress, type ScenarioContext } from './scenario';

const OPERATIONS = 10_000;
const CONNECTION_COUNTS = [16, 64] as const;
const BATCH_SIZES = [1, 10] as const;
const WARM_UP_S = 2;
const EPOCH_MS = Date.UTC(2026, 0, 1);
const STAGES = ['validate', 'ocr', 'classify', 'enrich-geo'];
const SINGLE_TYPE = 'application/cloudevents+json';
const BATCH_TYPE = 'application/cloudevents-batch+json';

type ContenderName = 'ours' | 'baseline' | 'ceiling';

interface Target {
  name: ContenderName;
  label: string;
  baseUrl: string;
  pid: number;
  peakRssMiB(): number;
}

interface LoadResult {
  contender: ContenderName;
  label: string;
  batchSize: number;
  connections: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  peakRssMiB: number | null;
  /** CPU per request answered 2xx during the timed run: the server process, its Postgres server, the load generator. */
  serverCpuUsPerRequest: number;
  postgresCpuUsPerRequest: number;
  loadGeneratorCpuUsPerRequest: number;
  /** Events per CPU second of server + Postgres: what the rate would be if they had one core to themselves. */
  eventsPerCpuSecond: number;
}

/** Fresh events for random operations; each call is a new request body (ids never repeat within a run). */
function requestFactory(prefix: string, batchSize: number) {
  let sequence = 0;
  const event = (operationId: string) => {
    sequence += 1;
    const kind = sequence % 3;
    const stage = STAGES[sequence % STAGES.length];
    return {
      specversion: '1.0',
      id: `${prefix}-${sequence}`,
      source: 'pipeline/bench',
      type: kind === 0 ? 'stage.started' : kind === 1 ? 'stage.completed' : 'metadata.updated',
      subject: operationId,
      time: new Date(EPOCH_MS + sequence).toISOString(),
      data: kind === 2 ? { metadata: { attempt: sequence % 7, region: 'eu-west-1' } } : { stage },
    };
  };
  return (request: autocannon.Request): autocannon.Request => {
    const operationId = `http-op-${Math.floor(Math.random() * OPERATIONS)}`;
    const body = batchSize === 1 ? event(operationId) : Array.from({ length: batchSize }, () => event(operationId));
    return {
      ...request,
      method: 'POST',
      path: `/v1/operations/${operationId}/events`,
      headers: { 'content-type': batchSize === 1 ? SINGLE_TYPE : BATCH_TYPE },
      body: JSON.stringify(body),
    };
  };
}

async function load(
  target: Target,
  postmasterPid: number,
  prefix: string,
  batchSize: number,
  connections: number,
  durationS: number,
): Promise<{ result: LoadResult; storedEvents: number; unansweredEvents: number }> {
  progress(
    `autocannon: ${target.label}, ${batchSize === 1 ? 'single events' : `batches of ${batchSize}`}, ${connections} connections`,
  );
  const run = (duration: number, phase: string) =>
    autocannon({
      url: target.baseUrl,
      connections,
      duration,
      requests: [{ setupRequest: requestFactory(`${prefix}-${phase}`, batchSize) }],
    });
  // Warm-up: JIT, connection pools and prepared statements are not in the figures.
  const warmUp = await run(WARM_UP_S, 'warm');
  const cpu = () => ({
    server: processCpuMs(target.pid) ?? NaN,
    postgres: postgresServerCpuMs(postmasterPid),
    generator: process.cpuUsage(),
  });
  const before = cpu();
  const result = await run(durationS, 'run');
  const after = cpu();
  const requestsPerSecond = result['2xx'] / result.duration;
  const perRequestUs = (ms: number) => round((ms * 1000) / Math.max(1, result['2xx']), 0);
  const generatorMs =
    (after.generator.user + after.generator.system - before.generator.user - before.generator.system) / 1000;
  const serverAndPostgresMs = after.server - before.server + (after.postgres - before.postgres);
  return {
    storedEvents: (warmUp['2xx'] + result['2xx']) * batchSize,
    // autocannon stops at the deadline without waiting for the requests on the wire: those may be stored.
    unansweredEvents: 2 * connections * batchSize,
    result: {
      contender: target.name,
      label: target.label,
      batchSize,
      connections,
      requestsPerSecond: round(requestsPerSecond, 0),
      eventsPerSecond: round(requestsPerSecond * batchSize, 0),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      requests: result.requests.total,
      non2xx: result.non2xx + warmUp.non2xx,
      errors: result.errors + warmUp.errors,
      peakRssMiB: null,
      serverCpuUsPerRequest: perRequestUs(after.server - before.server),
      postgresCpuUsPerRequest: perRequestUs(after.postgres - before.postgres),
      loadGeneratorCpuUsPerRequest: perRequestUs(generatorMs),
      eventsPerCpuSecond: round((result['2xx'] * batchSize) / Math.max(0.001, serverAndPostgresMs / 1000), 0),
    },
  };
}

async function countLog(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM operation_events')).rows[0].n;
  } finally {
    await client.end();
  }
}

async function execute(databaseUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function httpAppendScenario({ options, infrastructure, runId }: ScenarioContext) {
  const durationS = options.quick ? 5 : 20;
  const oursDb = await infrastructure.createDatabase(`bench_http_ours_${runId}`);
  const ceilingDb = await infrastructure.createDatabase(`bench_http_ceiling_${runId}`);
  await Promise.all([migrate(oursDb), migrate(ceilingDb)]);

  const started: { stop(): Promise<void> }[] = [];
  const targets: Target[] = [];
  const databases = new Map<ContenderName, string>([
    ['ours', oursDb],
    ['ceiling', ceilingDb],
  ]);
  try {
    const service: ServiceProcess = await startService({
      databaseUrl: oursDb,
      brokers: infrastructure.brokers,
      topic: `bench-http-${runId}`,
      groupId: `bench-http-${runId}`,
    });
    started.push(service);
    targets.push({
      name: 'ours',
      label: 'ours (service)',
      baseUrl: service.baseUrl,
      pid: service.pid,
      peakRssMiB: service.peakRssMiB,
    });
    if (!options.skipBaseline) {
      const seedDb = await infrastructure.createDatabase(`bench_http_seed_${runId}`);
      await execute(seedDb, SEED_SCHEMA);
      const seed: HelperServer = await startHelperServer('seed-http-server.ts', { DATABASE_URL: seedDb });
      started.push(seed);
      targets.push({
        name: 'baseline',
        label: 'baseline (seed design)',
        baseUrl: seed.baseUrl,
        pid: seed.pid,
        peakRssMiB: seed.peakRssMiB,
      });
    }
    const ceiling: HelperServer = await startHelperServer('log-insert-server.ts', { DATABASE_URL: ceilingDb });
    started.push(ceiling);
    targets.push({
      name: 'ceiling',
      label: 'ceiling (one INSERT)',
      baseUrl: ceiling.baseUrl,
      pid: ceiling.pid,
      peakRssMiB: ceiling.peakRssMiB,
    });

    // One Postgres server holds the three databases: its CPU during a run is the running contender's.
    const postmasterPid = await postmasterPidOf(oursDb);
    const results: LoadResult[] = [];
    const stored = new Map<ContenderName, number>();
    const unanswered = new Map<ContenderName, number>();
    for (const batchSize of BATCH_SIZES) {
      for (const connections of CONNECTION_COUNTS) {
        for (const target of targets) {
          const prefix = `${runId}-${target.name}-${batchSize}-${connections}`;
          const { result, storedEvents, unansweredEvents } = await load(
            target,
            postmasterPid,
            prefix,
            batchSize,
            connections,
            durationS,
          );
          results.push(result);
          stored.set(target.name, (stored.get(target.name) ?? 0) + storedEvents);
          unanswered.set(target.name, (unanswered.get(target.name) ?? 0) + unansweredEvents);
        }
      }
    }
    for (const target of targets) {
      const peak = round(target.peakRssMiB(), 1);
      for (const r of results) if (r.contender === target.name) r.peakRssMiB = peak;
    }

    const logChecks: Record<string, { answered2xxEvents: number; unansweredAtMost: number; inLog: number }> = {};
    for (const [name, url] of databases) {
      logChecks[name] = {
        answered2xxEvents: stored.get(name) ?? 0,
        unansweredAtMost: unanswered.get(name) ?? 0,
        inLog: await countLog(url),
      };
    }

    printTable(
      `http-append: ${OPERATIONS.toLocaleString()} operations, ${durationS} s per run after a ${WARM_UP_S} s warm-up`,
      [
        'contender',
        'events/request',
        'connections',
        'req/s',
        'events/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'non-2xx',
        'errors',
        'peak RSS MiB',
        'server CPU µs/req',
        'Postgres CPU µs/req',
        'events per CPU s',
      ],
      results.map((r) => [
        r.label,
        r.batchSize,
        r.connections,
        r.requestsPerSecond,
        r.eventsPerSecond,
        r.p50Ms,
        r.p99Ms,
        r.maxMs,
        r.non2xx,
        r.errors,
        r.peakRssMiB,
        r.serverCpuUsPerRequest,
        r.postgresCpuUsPerRequest,
        r.eventsPerCpuSecond,
      ]),
    );
    const find = (name: ContenderName, batchSize: number, connections: number) =>
      results.find((r) => r.contender === name && r.batchSize === batchSize && r.connections === connections);
    const ratios: Record<string, number | null> = {};
    for (const batchSize of BATCH_SIZES) {
      for (const connections of CONNECTION_COUNTS) {
        const ours = find('ours', batchSize, connections)!;
        const baseline = find('baseline', batchSize, connections);
        const ceilingResult = find('ceiling', batchSize, connections)!;
        const key = `${batchSize === 1 ? 'single' : `batch${batchSize}`}At${connections}`;
        ratios[`${key}OursToBaseline`] = baseline ? round(ours.eventsPerSecond / baseline.eventsPerSecond, 2) : null;
        ratios[`${key}OursToCeiling`] = round(ours.eventsPerSecond / ceilingResult.eventsPerSecond, 2);
        // The same ratios on CPU cost (events per CPU second of server + Postgres): stable under other load.
        ratios[`${key}OursToBaselineByCpu`] = baseline
          ? round(ours.eventsPerCpuSecond / baseline.eventsPerCpuSecond, 2)
          : null;
        ratios[`${key}OursToCeilingByCpu`] = round(ours.eventsPerCpuSecond / ceilingResult.eventsPerCpuSecond, 2);
      }
    }
    console.log(
      `\nsingle events, 16 connections: ours / baseline = ${ratios.singleAt16OursToBaseline} (target >= 2), ` +
        `ours p99 ${find('ours', 1, 16)!.p99Ms} ms (target <= 20); by CPU cost: ${ratios.singleAt16OursToBaselineByCpu}`,
    );
    console.log(
      `batches of 10, 16 connections: ours / baseline = ${ratios.batch10At16OursToBaseline} (target >= 3); ` +
        `by CPU cost: ${ratios.batch10At16OursToBaselineByCpu}`,
    );
    for (const [name, check] of Object.entries(logChecks)) {
      console.log(
        `${name}: ${check.inLog} events in the log, ${check.answered2xxEvents} answered 2xx, ` +
          `at most ${check.unansweredAtMost} on the wire when a run stopped`,
      );
    }
    const wrong = Object.entries(logChecks).filter(
      ([, c]) => c.inLog < c.answered2xxEvents || c.inLog > c.answered2xxEvents + c.unansweredAtMost,
    );
    const failedRequests = results.filter((r) => r.contender !== 'baseline' && (r.non2xx > 0 || r.errors > 0));
    if (wrong.length > 0 || failedRequests.length > 0) {
      throw new Error(
        `the log does not hold the answered events (${JSON.stringify(logChecks)}) ` +
          `or requests failed (${failedRequests.map((r) => r.label).join(', ')})`,
      );
    }
    return {
      operations: OPERATIONS,
      durationSeconds: durationS,
      warmUpSeconds: WARM_UP_S,
      results,
      ratios,
      logChecks,
      targets: {
        singleAt16OursToBaselineAtLeast: 2,
        singleAt16OursP99MsAtMost: 20,
        batch10OursToBaselineEventsAtLeast: 3,
        peakRssMiBAtMost: 512,
      },
    };
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}
