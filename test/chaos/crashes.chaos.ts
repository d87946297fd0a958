import { isDeepStrictEqual } from 'node:util';
import type { Admin, Producer } from 'kafkajs';
import type { FailpointHit, FailpointName } from '../../src/common/failpoints';
import { readModelsFromLog, readModelSnapshot } from '../support/read-models';
import { connectProducer, createTestContext } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { committedOffsets, connectAdmin, uncommittedRecords } from './support/consumer-offsets';
import { AIMED_ROUNDS, type AimedRound, judgeAimedKill } from './support/aimed-kills';
import { FailpointHits, launchAndCrashAt } from './support/failpoint-hits';
import { RequestGate } from './support/request-gate';
import {
  checkLedger,
  countStoredEvents,
  distinctEventCount,
  expectLedgerIntact,
  ledgerColumns,
  ledgerFigures,
  waitForStoredCount,
} from './support/ledger-check';
import { killRebuildInEachPhase, rebuildSucceeded } from './support/rebuild-rounds';
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

const { kills: randomKills, operationsPerRound, httpWriters, rebuildPageSize } = CHAOS_SIZE.crashes;

interface Kill {
  kind: 'random' | FailpointName;
  /** Acknowledged Kafka records the group had not committed when the process died. */
  uncommittedRecords: number;
  /** Failpoint kills: whether the state after the kill shows the fault struck inside its window. */
  landed: boolean | null;
  note: string;
}

describe('scenario 2: crashes', () => {
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let service: ServiceProcess | undefined;
  let steady: SteadyProducer | undefined;
  const gate = new RequestGate();
  const control: WriterControl = { stopping: false, abandoned: false, gate };

  afterAll(async () => {
    // After a failure the load may still be running: it must not keep the test process alive.
    control.abandoned = true;
    gate.open();
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it(`loses and duplicates nothing when the service is SIGKILLed at each dangerous moment and ${randomKills} times at random`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    // Small batches: many transactions. Six partitions, a short session: a relaunch gets them back soon.
    const launchedAt = Date.now();
    service = await ServiceProcess.start(context, { INGEST_BATCH_MAX_EVENTS: '50', KAFKA_SESSION_TIMEOUT_MS: '6000' });
    const readyTimes = [Date.now() - launchedAt];
    const hits = new FailpointHits(service);
    producer = await connectProducer();
    admin = await connectAdmin(testInfrastructure().brokers);

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

    const killList: Kill[] = [];
    const afterKill = async (kind: Kill['kind'], hit?: FailpointHit) => {
      const committed = await committedOffsets(admin!, context.groupId, context.topic);
      const { landed, note } = hit
        ? await judgeAimedKill(hit, committed, load.placements, context.databaseUrl)
        : { landed: null, note: '' };
      killList.push({ kind, uncommittedRecords: uncommittedRecords(load.placements, committed), landed, note });
    };
    const launchReady = async () => {
      const at = Date.now();
      await service!.launch();
      readyTimes.push(Date.now() - at);
    };

    // Random-timing kills, a second opinion, interleaved with the aimed ones.
    const schedule: ('random' | AimedRound)[] = [];
    for (let i = 0; i < Math.max(randomKills, AIMED_ROUNDS.length); i += 1) {
      if (i < randomKills) schedule.push('random');
      if (i < AIMED_ROUNDS.length) schedule.push(AIMED_ROUNDS[i]);
    }
    for (const round of schedule) {
      if (round === 'random') {
        if (!service.running) await launchReady();
        // Ingest must be under way in this incarnation before it is killed.
        const before = await countStoredEvents(context.databaseUrl);
        await waitFor('ingest progress', async () => (await countStoredEvents(context.databaseUrl)) > before, {
          timeoutMs: 60_000,
        });
        await sleep(200 + random() * 2_500);
        expect((await service.signal('SIGKILL')).signal).toBe('SIGKILL');
        await afterKill('random');
        continue;
      }
      if (service.running) await service.signal('SIGKILL');
      if (round.kafkaOnly) await gate.close();
      const hit = await launchAndCrashAt(service, hits, round.plan, round.failpoint);
      await afterKill(round.failpoint, hit);
      gate.open();
    }

    // A rebuild killed in each of its phases while ingest goes on, resumed each time.
    const rebuild = await killRebuildInEachPhase(service, hits, context.databaseUrl, rebuildPageSize);
    for (const kill of rebuild.kills)
      killList.push({ kind: kill.failpoint, uncommittedRecords: NaN, landed: kill.landed, note: kill.found });

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
    const readModels = await readModelSnapshot(context.databaseUrl);
    const readModelsExpected = await readModelsFromLog(context.databaseUrl);
    const ended = await service.signal('SIGTERM');

    const aimed = killList.filter((k) => k.kind !== 'random');
    const randoms = killList.filter((k) => k.kind === 'random');
    const hitCounts = hits.byName();
    writeResult({
      scenario: 'crashes',
      order: 2,
      title: 'Crashes: SIGKILL at failpoints and at random during ingest and a rebuild, restart',
      sizeDescription: `${aimed.length} aimed + ${randoms.length} random SIGKILLs, ${ledger.size.toLocaleString('en')} operations over Kafka and ${httpWriters} HTTP writers`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(
        figures,
        load.acknowledgedEvents + http.requests - http.connectionRetries - http.unavailableRetries,
      ),
      figures: {
        ...ledgerFigures(figures),
        kills: killList.length,
        failpointKills: aimed.length,
        failpointKillsLanded: aimed.filter((k) => k.landed).length,
        ...Object.fromEntries(aimed.map((k) => [`hit ${k.kind}`, hitCounts[k.kind] ?? 0])),
        randomKills: randoms.length,
        randomKillsWithBacklog: randoms.filter((k) => k.uncommittedRecords > 0).length,
        readModelsMatchLog: isDeepStrictEqual(readModels, readModelsExpected),
        rebuildSucceeded: rebuildSucceeded(rebuild.final),
        meanRestartSeconds: toSeconds(readyTimes.reduce((sum, ms) => sum + ms, 0) / readyTimes.length),
        httpRetriesWhileDown: http.connectionRetries,
        http503Retries: http.unavailableRetries,
        httpFailures: http.failures.length,
        producerFailures: load.failures.length,
        ...Object.fromEntries(aimed.map((k, i) => [`example ${i + 1} ${k.kind}`, k.note])),
      },
    });

    expect(load.failures).toEqual([]);
    expect(http.failures).toEqual([]);
    // Every aimed kill struck inside its window, at every failpoint it was aimed at.
    expect(aimed.filter((k) => !k.landed)).toEqual([]);
    const named = [...AIMED_ROUNDS.map((r) => r.failpoint), ...rebuild.kills.map((k) => k.failpoint)];
    for (const name of named) expect(hitCounts[name]).toBeGreaterThanOrEqual(1);
    // Kills at the ingest failpoints leave records to redeliver (the HTTP one an unanswered request).
    expect(
      aimed
        .filter((k) => k.kind.startsWith('ingest') || k.kind.startsWith('append'))
        .map((k) => k.uncommittedRecords > 0),
    ).not.toContain(false);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(rebuild.final).toMatchObject({ status: 'succeeded' });
    expect(rebuildSucceeded(rebuild.final)).toBe(true);
    expect(readModels).toEqual(readModelsExpected);
    expect(ended).toEqual({ code: 0, signal: null });
  });
});
