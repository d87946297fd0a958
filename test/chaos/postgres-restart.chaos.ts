import type { Producer } from 'kafkajs';
import {
  createDatabaseIfMissing,
  spawnPostgresServer,
  stopPostgresServer,
  waitForPostgres,
} from '../../src/local-infra/local-postgres';
import { connectProducer, type TestContext, uniqueName } from '../support/test-app';
import { faultPostgres } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { armed, FailpointHits } from './support/failpoint-hits';
import {
  checkLedger,
  distinctEventCount,
  expectLedgerIntact,
  ledgerColumns,
  ledgerFigures,
  waitForStoredCount,
} from './support/ledger-check';
import { toSeconds, writeResult } from './support/results';
import {
  emptyHttpStats,
  runHttpWriter,
  seededRandom,
  type SentLedger,
  SteadyProducer,
  type WriterControl,
} from './support/workload';

const { operations } = CHAOS_SIZE.postgresRestart;

/**
 * The outage is aimed: after some appends, one append is held between reading its heads and
 * writing (a failpoint stall), Postgres is stopped meanwhile, and the append's write meets the
 * stopped server. The stall outlasts a fast shutdown of Postgres by far.
 */
const APPENDS_BEFORE_OUTAGE = 30;
const STALL_MS = 8_000;

describe('scenario 3: Postgres restart mid-ingest', () => {
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let postgresStopped = false;
  let steady: SteadyProducer | undefined;
  const control: WriterControl = { stopping: false, abandoned: false };

  afterAll(async () => {
    // After a failure the load may still be running: it must not keep the test process alive.
    control.abandoned = true;
    await steady?.stop();
    // Leave the shared fault-injection server running, as global teardown expects.
    if (postgresStopped) spawnPostgresServer(faultPostgres().command);
    await service?.stop();
    await producer?.disconnect();
  });

  it('reports not ready while Postgres is down, recovers by itself, and loses nothing', async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const { adminUrl, command } = faultPostgres();
    const database = uniqueName('opledger_chaos');
    await createDatabaseIfMissing(adminUrl, database);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const context: TestContext = {
      databaseUrl: url.toString(),
      topic: uniqueName('ops'),
      groupId: uniqueName('group'),
    };
    service = await ServiceProcess.start(context, {
      INGEST_RETRY_MAX_BACKOFF_MS: '500',
      INGEST_BATCH_MAX_EVENTS: '50',
      ...armed(`append.before-write=${APPENDS_BEFORE_OUTAGE}*off->1*stall(${STALL_MS})`),
    });
    const hits = new FailpointHits(service);
    producer = await connectProducer();

    const ledger: SentLedger = new Map();
    // Paced so that about a third of the operations is sent before, during and after the outage.
    const load = new SteadyProducer({
      producer,
      topic: context.topic,
      ledger,
      prefix: 'pg-kafka',
      random: seededRandom(seed),
      operationsPerTick: Math.max(1, Math.round(operations / 150)),
      tickMs: 100,
    }).start();
    steady = load;
    const http = emptyHttpStats();
    const writer = runHttpWriter(service.url, 'pg-http', ledger, seededRandom(seed + 1), http, control);
    const kafkaOperations = () => [...ledger.keys()].filter((id) => id.startsWith('pg-kafka')).length;

    const hit = await hits.next('append.before-write', 0, 120_000);
    const stoppedAt = Date.now();
    await stopPostgresServer(command.clusterDir);
    postgresStopped = true;
    // The held append's write comes after this: it must find Postgres gone.
    const stallLeftMs = hit.at + STALL_MS - Date.now();
    const stalledEvents = (hit.detail as { events: string[] }).events;
    let lastReadiness = '';
    const down = await waitFor('readiness to report the database down', async () => {
      const ready = await service!.ready();
      lastReadiness = `${ready.status} ${JSON.stringify(ready.body)}`;
      return ready.status === 503 && ready.body.details.database?.status === 'down';
    }).then(
      () => null,
      (error: unknown) => new Error(`${String(error)}; last readiness answer: ${lastReadiness}`),
    );
    if (down) throw down;
    const notReadyAfterMs = Date.now() - stoppedAt;
    const sentBeforeOutage = kafkaOperations();
    await waitFor(
      'a third of the operations sent during the outage',
      () => kafkaOperations() >= sentBeforeOutage + operations / 3,
      {
        timeoutMs: 120_000,
      },
    );
    const operationsSentDuringOutage = kafkaOperations() - sentBeforeOutage;

    spawnPostgresServer(command);
    postgresStopped = false;
    await waitForPostgres(adminUrl);
    const postgresBackAt = Date.now();
    await waitFor('readiness back up', async () => (await service!.ready()).status === 200, { timeoutMs: 120_000 });
    const readyAgainAfterMs = Date.now() - postgresBackAt;
    await waitFor('every operation sent', () => kafkaOperations() >= operations, { timeoutMs: 120_000 });
    control.stopping = true;
    await Promise.all([steady.stop(), writer]);

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    writeResult({
      scenario: 'postgres-restart',
      order: 3,
      title: 'Postgres stopped and restarted mid-ingest',
      sizeDescription: `${ledger.size.toLocaleString('en')} operations (${operations} over Kafka, the rest over HTTP)`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(
        figures,
        load.acknowledgedEvents + http.requests - http.unavailableRetries - http.connectionRetries,
      ),
      figures: {
        ...ledgerFigures(figures),
        outageSeconds: toSeconds(postgresBackAt - stoppedAt),
        appendsBeforeOutage: APPENDS_BEFORE_OUTAGE,
        'hit append.before-write': hits.byName()['append.before-write'] ?? 0,
        heldAppend: stalledEvents[0]?.startsWith('pg-http') ? 'HTTP' : 'Kafka',
        heldAppendEvents: stalledEvents.length,
        stallLeftWhenPostgresDownSeconds: toSeconds(stallLeftMs),
        operationsSentBeforeOutage: sentBeforeOutage,
        notReadyAfterSeconds: toSeconds(notReadyAfterMs),
        readyAgainAfterSeconds: toSeconds(readyAgainAfterMs),
        operationsSentDuringOutage,
        http503Retries: http.unavailableRetries,
        httpFailures: http.failures.length,
      },
    });

    expect(http.failures).toEqual([]);
    expect(load.failures).toEqual([]);
    // The fault landed: Postgres was down before the held append went on to write.
    expect(stalledEvents.length).toBeGreaterThan(0);
    expect(stallLeftMs).toBeGreaterThan(0);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(operationsSentDuringOutage).toBeGreaterThan(0);
  });
});
