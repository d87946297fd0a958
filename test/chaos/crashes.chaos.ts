import type { Producer } from 'kafkajs';
import { connectProducer, createTestContext } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import {
  checkLedger,
  countStoredEvents,
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
  sleep,
  SteadyProducer,
  type WriterControl,
} from './support/workload';

const { kills, operationsPerRound, httpWriters } = CHAOS_SIZE.crashes;

describe('scenario 2: crashes', () => {
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let steady: SteadyProducer | undefined;
  const control: WriterControl = { stopping: false, abandoned: false };

  afterAll(async () => {
    // After a failure the load may still be running: it must not keep the test process alive.
    control.abandoned = true;
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect();
  });

  it(`loses and duplicates nothing when the service is SIGKILLed ${kills} times during ingest`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    // Small batches: many transactions, so a kill is likely to land inside one.
    service = await ServiceProcess.start(context, { INGEST_BATCH_MAX_EVENTS: '50', KAFKA_SESSION_TIMEOUT_MS: '6000' });
    producer = await connectProducer();

    const ledger: SentLedger = new Map();
    const load = new SteadyProducer({
      producer,
      topic: context.topic,
      ledger,
      prefix: 'crash-kafka',
      random: seededRandom(seed + 1),
      operationsPerTick: Math.max(1, Math.round(operationsPerRound / 10)),
      tickMs: 100,
    }).start();
    steady = load;
    const http = emptyHttpStats();
    const writers = Array.from({ length: httpWriters }, (_, i) =>
      runHttpWriter(service!.url, `crash-http${i}`, ledger, seededRandom(seed + 2 + i), http, control),
    );

    const killMoments: { storedAtKill: number; backlogAtKill: number; downMs: number }[] = [];
    for (let kill = 0; kill < kills; kill += 1) {
      // Ingest must be under way in this incarnation before it is killed.
      const before = await countStoredEvents(context.databaseUrl);
      await waitFor('ingest progress', async () => (await countStoredEvents(context.databaseUrl)) > before, {
        timeoutMs: 60_000,
      });
      await sleep(200 + random() * 2_500);
      const storedAtKill = await countStoredEvents(context.databaseUrl);
      const ended = await service.signal('SIGKILL');
      expect(ended.signal).toBe('SIGKILL');
      const killedAt = Date.now();
      killMoments.push({
        storedAtKill,
        backlogAtKill: load.acknowledgedEvents - storedAtKill,
        downMs: 0,
      });
      await service.launch();
      killMoments[killMoments.length - 1].downMs = Date.now() - killedAt;
    }
    // One more round of progress after the last restart, then the producers stop.
    const afterLast = await countStoredEvents(context.databaseUrl);
    await waitFor(
      'ingest progress after the last restart',
      async () => (await countStoredEvents(context.databaseUrl)) > afterLast,
    );
    control.stopping = true;
    await Promise.all([steady.stop(), ...writers]);

    const distinct = distinctEventCount(ledger);
    const timeout = await waitForStoredCount(context.databaseUrl, distinct, 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    const ended = await service.signal('SIGTERM');

    writeResult({
      scenario: 'crashes',
      order: 2,
      title: 'Crashes: SIGKILL during ingest, restart',
      sizeDescription: `${kills} SIGKILLs, ${ledger.size.toLocaleString('en')} operations over Kafka and ${httpWriters} HTTP writers`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(
        figures,
        load.acknowledgedEvents + http.requests - http.connectionRetries - http.unavailableRetries,
      ),
      figures: {
        ...ledgerFigures(figures),
        kills: killMoments.length,
        killsWithBacklog: killMoments.filter((k) => k.backlogAtKill > 0).length,
        meanRestartSeconds: toSeconds(
          killMoments.reduce((sum, k) => sum + k.downMs, 0) / Math.max(1, killMoments.length),
        ),
        httpRetriesWhileDown: http.connectionRetries,
        http503Retries: http.unavailableRetries,
        httpFailures: http.failures.length,
        producerFailures: load.failures.length,
      },
    });

    expect(load.failures).toEqual([]);
    expect(http.failures).toEqual([]);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(ended).toEqual({ code: 0, signal: null });
  });
});
