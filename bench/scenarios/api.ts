/**
 * Scenario 3: reads. autocannon against the service's GET by id (random ids
 * among all operations) and its list endpoint; baseline: a bare Fastify + pg
 * route running the same primary-key query; ceiling: a bare Fastify route
 * returning a fixed body of the same size.
 */
import autocannon from 'autocannon';
import { startHelperServer } from '../support/helper-server';
import { printTable, round } from '../support/report';
import { migrate } from '../support/schema';
import { startService } from '../support/service-process';
import { loadEventLog } from '../workload/event-log-loader';
import { operationId, workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const DEFAULT_EVENTS = 1_000_000;
const QUICK_EVENTS = 100_000;
const CONNECTIONS = 10;

interface LoadResult {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  peakRssMiB: number | null;
}

export async function apiScenario({ options, infrastructure, runId }: ScenarioContext) {
  const workload = workloadFor(options.events ?? (options.quick ? QUICK_EVENTS : DEFAULT_EVENTS));
  const durationS = options.quick ? 5 : 20;
  const databaseUrl = await infrastructure.createDatabase(`bench_api_${runId}`);
  await migrate(databaseUrl);
  progress(`loading ${workload.operations.toLocaleString()} operations (${workload.events.toLocaleString()} events)`);
  await loadEventLog(databaseUrl, workload, { withProjections: true });

  const randomPath = () => `/v1/operations/${operationId(Math.floor(Math.random() * workload.operations))}`;
  const results: LoadResult[] = [];
  const service = await startService({
    databaseUrl,
    brokers: infrastructure.brokers,
    topic: `bench-api-${runId}`,
    groupId: `bench-api-${runId}`,
    env: { INGEST_ENABLED: 'false' },
    waitForReady: false,
  });
  let sampleBody: string;
  let listAvailable: boolean;
  try {
    sampleBody = await (await fetch(`${service.baseUrl}${randomPath()}`)).text();
    listAvailable = (await fetch(`${service.baseUrl}/v1/operations?limit=50`)).status === 200;
    results.push(await load('ours: GET /v1/operations/{id}', service.baseUrl, randomPath, durationS));
    if (listAvailable) {
      results.push(
        await load('ours: GET /v1/operations?limit=50', service.baseUrl, () => '/v1/operations?limit=50', durationS),
      );
    } else {
      progress('the list endpoint does not answer 200 yet: measuring GET by id only');
    }
    const peak = round(service.peakRssMiB(), 1);
    for (const r of results) r.peakRssMiB = peak;
  } finally {
    await service.stop();
  }

  const baselineServer = await startHelperServer('bare-pg-server.ts', { DATABASE_URL: databaseUrl });
  try {
    const r = await load('baseline: bare Fastify + pg, same query', baselineServer.baseUrl, randomPath, durationS);
    results.push({ ...r, peakRssMiB: round(baselineServer.peakRssMiB(), 1) });
  } finally {
    await baselineServer.stop();
  }
  const ceilingServer = await startHelperServer('fixed-json-server.ts', { FIXED_BODY: sampleBody });
  try {
    const r = await load('ceiling: bare Fastify, fixed body', ceilingServer.baseUrl, randomPath, durationS);
    results.push({ ...r, peakRssMiB: round(ceilingServer.peakRssMiB(), 1) });
  } finally {
    await ceilingServer.stop();
  }

  printTable(
    `api: ${CONNECTIONS} connections, ${durationS} s each, ${workload.operations.toLocaleString()} operations, body ${sampleBody.length} bytes`,
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'peak RSS MiB'],
    results.map((r) => [r.target, r.requestsPerSecond, r.p50Ms, r.p99Ms, r.maxMs, r.non2xx, r.errors, r.peakRssMiB]),
  );
  const [byId] = results;
  const ceiling = results[results.length - 1];
  const baseline = results[results.length - 2];
  const ratios = {
    oursByIdToCeiling: round(byId.requestsPerSecond / ceiling.requestsPerSecond, 3),
    oursByIdToBaseline: round(byId.requestsPerSecond / baseline.requestsPerSecond, 3),
  };
  console.log(`GET by id: ${byId.requestsPerSecond} req/s (target >= 5,000), p99 ${byId.p99Ms} ms (target <= 20 ms)`);
  return {
    connections: CONNECTIONS,
    durationSeconds: durationS,
    operations: workload.operations,
    bodyBytes: sampleBody.length,
    listEndpointMeasured: listAvailable,
    results,
    ratios,
    targets: { getByIdRequestsPerSecondAtLeast: 5000, getByIdP99MsAtMost: 20, peakRssMiBAtMost: 512 },
  };
}

async function load(target: string, baseUrl: string, path: () => string, durationS: number): Promise<LoadResult> {
  progress(`autocannon: ${target}`);
  // A short warm-up so that JIT compilation and connection set-up are not in the figures.
  await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: 2,
    requests: [{ setupRequest: (r) => ({ ...r, path: path() }) }],
  });
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [{ setupRequest: (r) => ({ ...r, path: path() }) }],
  });
  return {
    target,
    requestsPerSecond: round(result.requests.average, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    peakRssMiB: null,
  };
}
