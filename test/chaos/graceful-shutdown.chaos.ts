import type { Admin, Producer } from 'kafkajs';
import { connectProducer, createTestContext, queryDatabase } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { committedOffsets, connectAdmin, isCommitted } from './support/consumer-offsets';
import { armed, FailpointHits } from './support/failpoint-hits';
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

/** Long enough that the SIGTERM sent on the hit certainly arrives while the batch waits. */
const STALL_MS = 4_000;

/**
 * `aimed`: SIGTERM while a batch is held just before its append (a failpoint stall), so
 * a batch is in flight every time. `aimed-crash`: the same, and the process kills itself
 * the moment its consumer has stopped, before the rest of the shutdown: the batch must be
 * committed by then. `random`: SIGTERM at a random moment of ingest, as a second opinion.
 */
type RoundKind = 'aimed' | 'aimed-crash' | 'random';

const UNARMED = { OPLEDGER_FAILPOINTS: '' };
const PLANS: Record<Exclude<RoundKind, 'random'>, string> = {
  aimed: `ingest.before-append=stall(${STALL_MS})`,
  'aimed-crash': `ingest.before-append=stall(${STALL_MS}),shutdown.consumer-stopped=crash`,
};

interface ShutdownCheck {
  kind: RoundKind;
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
  let admin: Admin | undefined;
  let service: ServiceProcess | undefined;
  let steady: SteadyProducer | undefined;

  afterAll(async () => {
    // After a failure the producer may still be running: it must not keep the test process alive.
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it(`finishes and commits the batch in flight on SIGTERM, exits 0, and a restart loses and duplicates nothing`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    // The first incarnation is the first aimed round's: one launch fewer.
    service = await ServiceProcess.start(context, { INGEST_BATCH_MAX_EVENTS: '50', ...armed(PLANS.aimed) });
    const hits = new FailpointHits(service);
    producer = await connectProducer();
    admin = await connectAdmin(testInfrastructure().brokers);

    const ledger: SentLedger = new Map();
    const schedule: RoundKind[] = [
      ...Array.from({ length: terms }, (): RoundKind[] => ['aimed', 'random']).flat(),
      'aimed-crash',
    ];
    const load = new SteadyProducer({
      producer,
      topic: context.topic,
      ledger,
      prefix: 'term',
      random: seededRandom(seed + 1),
      operationsPerTick: Math.max(1, Math.round(operations / (schedule.length * 40))),
      tickMs: 100,
    }).start();
    steady = load;

    const checks: ShutdownCheck[] = [];
    let storedAtSignal = 0;
    for (const kind of schedule) {
      let exit: ShutdownCheck['exit'];
      if (kind === 'random') {
        if (!service.running) await service.launch(UNARMED);
        const before = await countStoredEvents(context.databaseUrl);
        await waitFor('ingest progress', async () => (await countStoredEvents(context.databaseUrl)) > before, {
          timeoutMs: 60_000,
        });
        await sleep(200 + random() * 1_500);
        storedAtSignal = await countStoredEvents(context.databaseUrl);
        exit = await service.signal('SIGTERM');
      } else {
        if (!service.running) await service.launch(armed(PLANS[kind]));
        // A hit after readiness: the SIGTERM must meet a fully started service with a batch held.
        const hit = await hits.next('ingest.before-append', hits.count, 60_000);
        storedAtSignal = await countStoredEvents(context.databaseUrl);
        if (Date.now() - hit.at > STALL_MS - 500) throw new Error(`the hit was seen ${Date.now() - hit.at} ms late`);
        exit = await service.signal('SIGTERM');
      }
      // With the service gone, the log and the group's committed offsets must describe the same prefix.
      await load.pause();
      const committed = await committedOffsets(admin, context.groupId, context.topic);
      const storedIds = new Set(
        (await queryDatabase<{ event_id: string }>(context.databaseUrl, 'SELECT event_id FROM operation_events')).map(
          (row) => row.event_id,
        ),
      );
      let storedButUncommitted = 0;
      let committedButMissing = 0;
      for (const [eventId, placement] of load.placements) {
        if (storedIds.has(eventId) && !isCommitted(placement, committed)) storedButUncommitted += 1;
        if (!storedIds.has(eventId) && isCommitted(placement, committed)) committedButMissing += 1;
      }
      checks.push({
        kind,
        exit,
        storedDuringShutdown: storedIds.size - storedAtSignal,
        storedButUncommitted,
        committedButMissing,
      });
      load.resume();
    }
    await service.launch(UNARMED);
    await waitFor('every operation sent', () => ledger.size >= operations, { timeoutMs: 180_000 });
    await load.stop();

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    const finalExit = await service.signal('SIGTERM');
    const aimed = checks.filter((c) => c.kind !== 'random');
    const randoms = checks.filter((c) => c.kind === 'random');
    const hitCounts = hits.byName();
    writeResult({
      scenario: 'graceful-shutdown',
      order: 8,
      title: 'Graceful shutdown: SIGTERM with a batch held at a failpoint and at random, restart',
      sizeDescription: `${aimed.length} aimed + ${randoms.length} random SIGTERMs, ${ledger.size.toLocaleString('en')} operations`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(figures, load.acknowledgedEvents),
      figures: {
        ...ledgerFigures(figures),
        sigterms: checks.length,
        aimedSigterms: aimed.length,
        aimedWithBatchInFlight: aimed.filter((c) => c.storedDuringShutdown > 0).length,
        'hit ingest.before-append': hitCounts['ingest.before-append'] ?? 0,
        'hit shutdown.consumer-stopped': hitCounts['shutdown.consumer-stopped'] ?? 0,
        cleanExits: checks.filter((c) => c.exit.code === 0 && c.exit.signal === null).length,
        storedDuringShutdown: checks.reduce((sum, c) => sum + c.storedDuringShutdown, 0),
        randomSigterms: randoms.length,
        randomWithBatchInFlight: randoms.filter((c) => c.storedDuringShutdown > 0).length,
        storedButUncommittedAtExit: checks.reduce((sum, c) => sum + c.storedButUncommitted, 0),
        committedButMissingAtExit: checks.reduce((sum, c) => sum + c.committedButMissing, 0),
      },
    });

    expect(load.failures).toEqual([]);
    for (const check of checks) {
      expect(check).toEqual({
        kind: check.kind,
        // The aimed crash dies of its own SIGKILL once the consumer stopped; every other SIGTERM exits 0.
        exit: check.kind === 'aimed-crash' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null },
        // Every aimed SIGTERM met a batch in flight, and the shutdown finished it.
        storedDuringShutdown: check.kind === 'random' ? check.storedDuringShutdown : expect.any(Number),
        storedButUncommitted: 0,
        committedButMissing: 0,
      });
      if (check.kind !== 'random') expect(check.storedDuringShutdown).toBeGreaterThan(0);
    }
    expect(hitCounts['shutdown.consumer-stopped']).toBe(1);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(finalExit).toEqual({ code: 0, signal: null });
  });
});
