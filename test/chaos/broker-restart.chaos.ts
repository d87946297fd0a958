import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { findFreePort } from '../../src/local-infra/free-port';
import { type LocalKafka, startLocalKafka } from '../../src/local-infra/local-kafka';
import { createTestContext, uniqueName } from '../support/test-app';
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
import { seededRandom, type SentLedger, SteadyProducer } from './support/workload';

const { operations } = CHAOS_SIZE.brokerRestart;

/**
 * The outage is aimed: after some chunks, one chunk is held after its append committed and
 * before its offset commit (a failpoint stall); the broker is stopped meanwhile, so the commit is
 * attempted against a stopped broker and the chunk must be delivered again, harmlessly.
 */
const CHUNKS_BEFORE_OUTAGE = 20;
const STALL_MS = 20_000;

describe('scenario 4: Kafka broker restart mid-ingest', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opledger-chaos-broker-'));
  let broker: LocalKafka | undefined;
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let steady: SteadyProducer | undefined;

  afterAll(async () => {
    // After a failure the producer may still be running: it must not keep the test process alive.
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect().catch(() => undefined);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reconnects the consumer by itself after the broker restarts, and loses nothing', async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    // A broker of this test's own: stopping it must not disturb the rest of the suite.
    const port = await findFreePort();
    broker = await startLocalKafka({ dataDir, port });
    const context = await createTestContext();
    service = await ServiceProcess.start(context, {
      KAFKA_BROKERS: broker.brokers,
      INGEST_BATCH_MAX_EVENTS: '50',
      ...armed(`ingest.after-append=${CHUNKS_BEFORE_OUTAGE}*off->1*stall(${STALL_MS})`),
    });
    const hits = new FailpointHits(service);
    const kafka = new Kafka({ clientId: uniqueName('chaos'), brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();

    const ledger: SentLedger = new Map();
    const load = new SteadyProducer({
      producer,
      topic: context.topic,
      ledger,
      prefix: 'broker',
      random: seededRandom(seed),
      operationsPerTick: Math.max(1, Math.round(operations / 150)),
      tickMs: 100,
      sendDeadlineMs: 180_000,
    }).start();
    steady = load;

    const hit = await hits.next('ingest.after-append', 0, 120_000);
    const sentBeforeOutage = ledger.size;
    const stoppedAt = Date.now();
    await broker.stop();
    // The held chunk's offset commit comes after this: it must find the broker gone.
    const stallLeftMs = hit.at + STALL_MS - Date.now();
    await waitFor('readiness to report the consumer down', async () => (await service!.ready()).status === 503, {
      timeoutMs: 120_000,
    });
    const notReadyAfterMs = Date.now() - stoppedAt;
    const sendRetriesBefore = load.sendRetries;
    // The producer keeps trying while the broker is away; restart once it has noticed.
    await waitFor('the producer to hit the outage', () => load.sendRetries > sendRetriesBefore, {
      timeoutMs: 60_000,
    });
    // Restart only once the held chunk has tried to commit its offset.
    await waitFor('the held chunk to go on', () => Date.now() > hit.at + STALL_MS, { timeoutMs: STALL_MS + 5_000 });

    broker = await startLocalKafka({ dataDir, port });
    const brokerBackAt = Date.now();
    await waitFor('readiness back up', async () => (await service!.ready()).status === 200, { timeoutMs: 180_000 });
    const readyAgainAfterMs = Date.now() - brokerBackAt;
    await waitFor('every operation sent', () => ledger.size >= operations, { timeoutMs: 180_000 });
    await load.stop();

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    writeResult({
      scenario: 'broker-restart',
      order: 4,
      title: 'Kafka broker stopped and restarted mid-ingest',
      sizeDescription: `${ledger.size.toLocaleString('en')} operations (at least ${operations} sent before, through and after the outage)`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(figures, load.acknowledgedEvents),
      figures: {
        ...ledgerFigures(figures),
        outageSeconds: toSeconds(brokerBackAt - stoppedAt),
        chunksBeforeOutage: CHUNKS_BEFORE_OUTAGE,
        'hit ingest.after-append': hits.byName()['ingest.after-append'] ?? 0,
        stallLeftWhenBrokerDownSeconds: toSeconds(stallLeftMs),
        operationsSentBeforeOutage: sentBeforeOutage,
        notReadyAfterSeconds: toSeconds(notReadyAfterMs),
        readyAgainAfterSeconds: toSeconds(readyAgainAfterMs),
        producerSendRetries: load.sendRetries,
        producerFailures: load.failures.length,
      },
    });

    expect(load.failures).toEqual([]);
    // The fault landed: the broker was down before the held chunk went on to commit its offset.
    expect(stallLeftMs).toBeGreaterThan(0);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
  });
});
