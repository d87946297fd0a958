import { Kafka, logLevel, type Producer } from 'kafkajs';
import { connectProducer, createTestContext, queryDatabase, uniqueName } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
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
import { writeResult } from './support/results';
import { seededRandom, type SentLedger, sleep, SteadyProducer } from './support/workload';

const { terms, operations } = CHAOS_SIZE.gracefulShutdown;

interface ShutdownCheck {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** Events stored between the signal and the exit: the batches in flight, finished. */
  storedDuringShutdown: number;
  /** Stored, but their records lie at or after the committed offset: work done and not committed. */
  storedButUncommitted: number;
  /** Records before the committed offset whose events are not in the log: a commit ahead of the log. */
  committedButMissing: number;
}

describe('scenario 8: graceful shutdown', () => {
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;
  let steady: SteadyProducer | undefined;

  afterAll(async () => {
    // After a failure the producer may still be running: it must not keep the test process alive.
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect();
  });

  it(`finishes and commits the batch in flight on SIGTERM, exits 0, and a restart loses and duplicates nothing`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    service = await ServiceProcess.start(context, { INGEST_BATCH_MAX_EVENTS: '50' });
    producer = await connectProducer();
    const admin = new Kafka({
      clientId: uniqueName('offsets'),
      brokers: testInfrastructure().brokers,
      logLevel: logLevel.ERROR,
    }).admin();
    await admin.connect();

    const ledger: SentLedger = new Map();
    const load = new SteadyProducer({
      producer,
      topic: context.topic,
      ledger,
      prefix: 'term',
      random: seededRandom(seed + 1),
      operationsPerTick: Math.max(1, Math.round(operations / (terms * 40))),
      tickMs: 100,
    }).start();
    steady = load;

    const checks: ShutdownCheck[] = [];
    try {
      for (let term = 0; term < terms; term += 1) {
        const before = await countStoredEvents(context.databaseUrl);
        await waitFor('ingest progress', async () => (await countStoredEvents(context.databaseUrl)) > before, {
          timeoutMs: 60_000,
        });
        await sleep(200 + random() * 1_500);
        const storedAtSignal = await countStoredEvents(context.databaseUrl);
        const exit = await service.signal('SIGTERM');
        // With the service gone, the log and the group's committed offsets must describe the same prefix.
        await load.pause();
        const [committed] = await admin.fetchOffsets({ groupId: context.groupId, topics: [context.topic] });
        const committedByPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
        const storedIds = new Set(
          (await queryDatabase<{ event_id: string }>(context.databaseUrl, 'SELECT event_id FROM operation_events')).map(
            (row) => row.event_id,
          ),
        );
        let storedButUncommitted = 0;
        let committedButMissing = 0;
        for (const [eventId, placement] of load.placements) {
          const committedOffset = committedByPartition.get(placement.partition) ?? -1;
          const isCommitted = placement.offset < committedOffset;
          if (storedIds.has(eventId) && !isCommitted) storedButUncommitted += 1;
          if (!storedIds.has(eventId) && isCommitted) committedButMissing += 1;
        }
        checks.push({
          exit,
          storedDuringShutdown: storedIds.size - storedAtSignal,
          storedButUncommitted,
          committedButMissing,
        });
        load.resume();
        await service.launch();
      }
      await waitFor('every operation sent', () => ledger.size >= operations, { timeoutMs: 180_000 });
      await load.stop();
    } finally {
      await admin.disconnect();
    }

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    const finalExit = await service.signal('SIGTERM');
    writeResult({
      scenario: 'graceful-shutdown',
      order: 8,
      title: 'Graceful shutdown: SIGTERM during ingest, restart',
      sizeDescription: `${terms} SIGTERMs, ${ledger.size.toLocaleString('en')} operations`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(figures, load.acknowledgedEvents),
      figures: {
        ...ledgerFigures(figures),
        sigterms: checks.length,
        cleanExits: checks.filter((c) => c.exit.code === 0 && c.exit.signal === null).length,
        storedDuringShutdown: checks.reduce((sum, c) => sum + c.storedDuringShutdown, 0),
        storedButUncommittedAtExit: checks.reduce((sum, c) => sum + c.storedButUncommitted, 0),
        committedButMissingAtExit: checks.reduce((sum, c) => sum + c.committedButMissing, 0),
      },
    });

    expect(load.failures).toEqual([]);
    for (const check of checks) {
      expect(check).toEqual({
        exit: { code: 0, signal: null },
        storedDuringShutdown: check.storedDuringShutdown,
        storedButUncommitted: 0,
        committedButMissing: 0,
      });
    }
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(finalExit).toEqual({ code: 0, signal: null });
  });
});
