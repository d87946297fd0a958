import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { ServiceProcess } from '../support/service-process';
import { connectProducer, queryDatabase, type TestContext, uniqueName } from '../support/test-app';
import { faultPostgres, testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import {
  type AcknowledgedHttpStats,
  emptyAcknowledgedStats,
  runAcknowledgingHttpWriter,
} from './support/acknowledging-writer';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import {
  checkLedger,
  countStoredEvents,
  distinctEventCount,
  expectLedgerIntact,
  ledgerColumns,
  ledgerFigures,
  waitForStoredCount,
} from './support/ledger-check';
import { PostgresPair, nodeAdminUrl } from './support/postgres-ha';
import { toSeconds, writeResult } from './support/results';
import { TcpProxy } from './support/tcp-proxy';
import { seededRandom, type SentLedger, SteadyProducer, type WriterControl } from './support/workload';

const { failovers, httpWriters } = CHAOS_SIZE.postgresFailover;

/** Events the log must grow by between two failovers: each one lands in the middle of real ingest. */
const PROGRESS_BETWEEN_FAULTS = 200;
const ACTIVE_APPENDS = `SELECT count(*)::int AS n FROM pg_stat_activity
  WHERE datname = $1 AND state = 'active' AND query LIKE 'SELECT opledger_append_events%'`;

/**
 * Where a round aims the kill. `unanswered-commit`: the proxy holds the primary's answers back
 * until at least one append has committed (visible on the primary, so also flushed by the
 * synchronous standby), then the primary is killed and the connections cut: the service never
 * hears that those commits succeeded. `statement-in-flight`: killed while an append statement
 * runs (`pg_stat_activity`), so that its transaction dies with the primary.
 */
type FailoverAim = 'unanswered-commit' | 'statement-in-flight';

/** What one failover measured; times in ms after the SIGKILL. */
interface FailoverRound {
  aim: FailoverAim;
  killedAt: number;
  /** The address moved to the standby before it was promoted (a VIP moving first). */
  addressFirst: boolean;
  killed: string;
  promoted: string;
  appendsInFlightAtKill: number;
  notReadyMs: number;
  promotedMs: number;
  readyAgainMs: number;
  ingestResumedMs: number;
  httpResumedMs: number;
  standbyRebuildMs: number;
  /** HTTP 2xx received before the address moved whose events the new primary lacked. */
  httpAcknowledgedMissing: number;
  /** Kafka records below the group's committed offset whose events the new primary lacked. */
  kafkaCommittedMissing: number;
  acknowledgedChecked: number;
  /** Events committed while the answers were held (on the standby, not stored when the hold began). */
  unansweredCommits: string[];
  /** Of those, the ones seen committed on the primary before the kill that the standby lacked (must be none). */
  unansweredMissingOnStandby: number;
  /** Holds tried before one caught an HTTP append and a Kafka chunk committing (0: not that aim). */
  holdAttempts: number;
}

const joinSeconds = (rounds: FailoverRound[], pick: (round: FailoverRound) => number) =>
  rounds.map((round) => toSeconds(pick(round)).toFixed(1)).join(' / ');

describe('scenario 10: Postgres failover to a synchronous standby', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opledger-chaos-failover-'));
  let pair: PostgresPair | undefined;
  let proxy: TcpProxy | undefined;
  let service: ServiceProcess | undefined;
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  let steady: SteadyProducer | undefined;
  const control: WriterControl = { stopping: false, abandoned: false };

  afterAll(async () => {
    // After a failure the load may still be running: it must not keep the test process alive.
    control.abandoned = true;
    await steady?.stop();
    await service?.stop();
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await proxy?.close();
    await pair?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses nothing acknowledged and recovers by itself through ${failovers} failovers mid-append`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const database = uniqueName('opledger_failover');
    pair = await PostgresPair.start({ dataDir, database, server: faultPostgres().command });
    // The service knows only the proxy's address, as it would know a virtual IP or PgBouncer's.
    proxy = await TcpProxy.start(pair.primary.command.port);
    const context: TestContext = {
      databaseUrl: `postgres://postgres:postgres@127.0.0.1:${proxy.port}/${database}`,
      topic: uniqueName('ops'),
      groupId: uniqueName('group'),
    };
    service = await ServiceProcess.start(context, {
      INGEST_RETRY_MAX_BACKOFF_MS: '500',
      INGEST_BATCH_MAX_EVENTS: '50',
    });
    const servicePid = service.pid;
    producer = await connectProducer();
    admin = new Kafka({
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
      prefix: 'fo-kafka',
      random: seededRandom(seed),
      operationsPerTick: 1,
      tickMs: 150,
    }).start();
    steady = load;
    const http: AcknowledgedHttpStats = emptyAcknowledgedStats();
    const writers = Array.from({ length: httpWriters }, (_, i) =>
      runAcknowledgingHttpWriter(service!.url, `fo-http${i}`, ledger, seededRandom(seed + 1 + i), http, control),
    );
    const storedOn = (url: string) => countStoredEvents(url);

    const rounds: FailoverRound[] = [];
    for (let round = 0; round < failovers; round += 1) {
      const before = await storedOn(context.databaseUrl);
      await waitFor(
        'ingest progress',
        async () => (await storedOn(context.databaseUrl)) >= before + PROGRESS_BETWEEN_FAULTS,
        { timeoutMs: 180_000, intervalMs: 250 },
      );
      const aim: FailoverAim = round % 2 === 0 ? 'unanswered-commit' : 'statement-in-flight';
      const primaryUrl = pair.databaseUrl(pair.primary, database);
      const storedIdsOn = async (url: string) =>
        new Set(
          (await queryDatabase<{ event_id: string }>(url, 'SELECT event_id FROM operation_events')).map(
            (row) => row.event_id,
          ),
        );
      const watcher = new Client({ connectionString: nodeAdminUrl(pair.primary) });
      watcher.on('error', () => undefined);
      await watcher.connect();
      const appendsRunning = async () => (await watcher.query<{ n: number }>(ACTIVE_APPENDS, [database])).rows[0].n;
      let appendsInFlightAtKill = 0;
      let storedWhenHeld = new Set<string>();
      let committedWhileHeld: string[] = [];
      let holdAttempts = 0;
      if (aim === 'unanswered-commit') {
        // Hold the primary's answers back while an append's write runs, until an HTTP append and a
        // Kafka chunk have both committed meanwhile; an attempt that does not catch both within a
        // moment lets the answers through (late, harmlessly) and tries again. What was stored when
        // the hold began is read after it began, so any commit missing from that read is one
        // whose answer (sent after the commit became visible) is held, and never arrives.
        const deadline = Date.now() + 120_000;
        const caughtBefore: string[] = [];
        for (holdAttempts = 1; ; holdAttempts += 1) {
          await waitFor('an append writing on the primary', async () => (await appendsRunning()) > 0, {
            timeoutMs: 60_000,
            intervalMs: 5,
          });
          proxy.holdAnswers();
          storedWhenHeld = await storedIdsOn(primaryUrl);
          const attemptEnds = Date.now() + 1_500;
          let caught = false;
          while (!caught && Date.now() < attemptEnds) {
            const now = await storedIdsOn(primaryUrl);
            committedWhileHeld = [...now].filter((id) => !storedWhenHeld.has(id));
            caught =
              committedWhileHeld.some((id) => id.startsWith('fo-http')) &&
              committedWhileHeld.some((id) => id.startsWith('fo-kafka'));
          }
          if (caught) break;
          caughtBefore.push(
            `${committedWhileHeld.filter((id) => id.startsWith('fo-http')).length} HTTP + ` +
              `${committedWhileHeld.filter((id) => id.startsWith('fo-kafka')).length} Kafka`,
          );
          proxy.release();
          if (Date.now() > deadline) {
            throw new Error(
              `${holdAttempts} holds caught no HTTP append and Kafka chunk committing together (${caughtBefore.join(', ')})`,
            );
          }
        }
        appendsInFlightAtKill = await appendsRunning();
      } else {
        await waitFor(
          'an append in flight on the primary',
          async () => {
            appendsInFlightAtKill = await appendsRunning();
            return appendsInFlightAtKill > 0;
          },
          { timeoutMs: 60_000, intervalMs: 10 },
        );
      }
      const unavailableBefore = http.unavailable;
      const killedAt = Date.now();
      const killed = await pair.killPrimary();
      // The address layer cuts the sessions of a dead primary (a held socket is not read, so the
      // proxy would not notice the death by itself).
      if (aim === 'unanswered-commit') proxy.cut();
      void watcher.end().catch(() => undefined);

      let lastReadiness = '';
      await waitFor(
        'readiness to report the database down',
        async () => {
          const ready = await service!.ready();
          lastReadiness = `${ready.status} ${JSON.stringify(ready.body)}`;
          return ready.status === 503 && ready.body.details.database?.status === 'down';
        },
        { timeoutMs: 60_000 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; last readiness answer: ${lastReadiness}`);
      });
      const notReadyMs = Date.now() - killedAt;
      await waitFor('an HTTP append answered 503 during the outage', () => http.unavailable > unavailableBefore, {
        timeoutMs: 60_000,
      });

      // Before anything can write to it, the standby must hold every event acknowledged so far
      // (an HTTP 2xx, or a record below the group's committed Kafka offset): read it as a hot
      // standby once it has replayed all it received from the dead primary.
      const standby = pair.standby!;
      await pair.waitForStandbyReplay();
      const acknowledgedIds = [...http.acknowledged.keys()];
      const [committed] = await admin.fetchOffsets({ groupId: context.groupId, topics: [context.topic] });
      const committedByPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
      const newPrimaryUrl = pair.databaseUrl(standby, database);
      const storedIds = await storedIdsOn(newPrimaryUrl);
      // Every commit made while the answers were held: the service heard of none of them.
      const unansweredCommits =
        aim === 'unanswered-commit' ? [...storedIds].filter((id) => !storedWhenHeld.has(id)) : [];
      const unansweredMissingOnStandby = committedWhileHeld.filter((id) => !storedIds.has(id)).length;
      const httpAcknowledgedMissing = acknowledgedIds.filter((id) => !storedIds.has(id)).length;
      const committedIds = [...load.placements]
        .filter(([, placement]) => placement.offset < (committedByPartition.get(placement.partition) ?? -1))
        .map(([id]) => id);
      const kafkaCommittedMissing = committedIds.filter((id) => !storedIds.has(id)).length;

      let movedAt: number;
      let promotedMs: number;
      const addressFirst = round % 2 === 1;
      if (addressFirst) {
        // As a virtual IP that moves before the promotion has finished: for a while the address
        // leads to a read-only standby. Readiness must say so, writes must wait (HTTP 503, Kafka
        // batches retried), and nothing may be dead-lettered.
        movedAt = Date.now();
        proxy.moveTo(standby.command.port);
        await waitFor(
          'readiness to report the database read-only',
          async () => {
            const ready = await service!.ready();
            lastReadiness = `${ready.status} ${JSON.stringify(ready.body)}`;
            return ready.status === 503 && /read-only/.test(ready.body.details.database?.message ?? '');
          },
          { timeoutMs: 60_000 },
        ).catch((error: unknown) => {
          throw new Error(`${String(error)}; last readiness answer: ${lastReadiness}`);
        });
        await waitFor(
          'an HTTP append sent to the read-only standby answered 503',
          () => {
            // An answer other than 503 (a 500 for a read-only refusal) fails the writer: say which.
            if (http.failures.length > 0) throw new Error(http.failures[0]);
            return http.unavailableSentAt.some((at) => at > movedAt);
          },
          { timeoutMs: 60_000 },
        );
        await pair.promoteStandby();
        promotedMs = Date.now() - killedAt;
      } else {
        await pair.promoteStandby();
        promotedMs = Date.now() - killedAt;
        movedAt = Date.now();
        proxy.moveTo(standby.command.port);
      }
      const promoted = pair.primary;
      await waitFor('readiness back to 200 by itself', async () => (await service!.ready()).status === 200, {
        timeoutMs: 120_000,
      });
      const readyAgainMs = Date.now() - killedAt;
      await waitFor('ingest resumed on the new primary', async () => (await storedOn(newPrimaryUrl)) > storedIds.size, {
        timeoutMs: 120_000,
        intervalMs: 100,
      });
      const ingestResumedMs = Date.now() - killedAt;
      await waitFor('an HTTP append acknowledged by the new primary', () =>
        [...http.acknowledged.values()].some((at) => at >= movedAt),
      );
      const httpResumedMs = Math.min(...[...http.acknowledged.values()].filter((at) => at >= movedAt)) - killedAt;

      // The dead node comes back as the new primary's synchronous standby, production still going.
      const rebuildStartedAt = Date.now();
      await pair.rebuildStandby();
      rounds.push({
        aim,
        killedAt,
        addressFirst,
        killed: killed.name,
        promoted: promoted.name,
        appendsInFlightAtKill,
        notReadyMs,
        promotedMs,
        readyAgainMs,
        ingestResumedMs,
        httpResumedMs,
        standbyRebuildMs: Date.now() - rebuildStartedAt,
        httpAcknowledgedMissing,
        kafkaCommittedMissing,
        acknowledgedChecked: acknowledgedIds.length + committedIds.length,
        unansweredCommits,
        unansweredMissingOnStandby,
        holdAttempts,
      });
    }
    const afterLast = await storedOn(context.databaseUrl);
    await waitFor(
      'ingest progress after the last failover',
      async () => (await storedOn(context.databaseUrl)) > afterLast,
    );
    control.stopping = true;
    await Promise.all([load.stop(), ...writers]);

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    const [{ n: deadLettered }] = await queryDatabase<{ n: number }>(
      context.databaseUrl,
      'SELECT count(*)::int AS n FROM dead_letters',
    );
    const serviceRestarts = service.pid === servicePid && isAlive(servicePid) ? 0 : 1;
    const httpAcknowledged = http.acknowledged.size;
    const kafkaOperations = [...ledger.keys()].filter((id) => id.startsWith('fo-kafka')).length;
    // Each HTTP append whose commit went unanswered must have been acknowledged later, by a retry
    // of the writer (the same event id, answered as the duplicate it then was).
    const unanswered = rounds.flatMap((r) => r.unansweredCommits.map((id) => ({ id, killedAt: r.killedAt })));
    const unansweredHttp = unanswered.filter(({ id }) => id.startsWith('fo-http'));
    const unansweredHttpNotAcknowledgedLater = unansweredHttp
      .filter(({ id, killedAt }) => !((http.acknowledged.get(id) ?? 0) >= killedAt))
      .map(({ id }) => id);
    writeResult({
      scenario: 'postgres-failover',
      order: 10,
      title: 'Postgres primary SIGKILLed mid-append, synchronous standby promoted, address moved',
      sizeDescription:
        `${rounds.length} failovers, ${kafkaOperations.toLocaleString('en')} operations over Kafka, ` +
        `${(ledger.size - kafkaOperations).toLocaleString('en')} over HTTP (${httpWriters} writers)`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: { ...ledgerColumns(figures, load.acknowledgedEvents + httpAcknowledged), deadLettered },
      figures: {
        ...ledgerFigures(figures),
        failovers: rounds.length,
        addressMovedBeforePromotion: rounds.filter((r) => r.addressFirst).length,
        acknowledged: load.acknowledgedEvents + httpAcknowledged,
        acknowledgedMissingAfterPromotion: rounds.reduce(
          (sum, r) => sum + r.httpAcknowledgedMissing + r.kafkaCommittedMissing,
          0,
        ),
        acknowledgedCheckedAtPromotion: rounds.map((r) => r.acknowledgedChecked).join(' / '),
        aimedAt: rounds
          .map((r) => (r.aim === 'unanswered-commit' ? 'commit with its answer held' : 'statement running'))
          .join(' / '),
        appendsInFlightAtKill: rounds.map((r) => r.appendsInFlightAtKill).join(' / '),
        unansweredCommits: rounds.map((r) => r.unansweredCommits.length).join(' / '),
        unansweredCommitsOverHttp: unansweredHttp.length,
        holdsTried: rounds.map((r) => r.holdAttempts).join(' / '),
        unansweredHttpNotAcknowledgedLater: unansweredHttpNotAcknowledgedLater.length,
        unansweredCommitsMissingOnStandby: rounds.reduce((sum, r) => sum + r.unansweredMissingOnStandby, 0),
        notReadyAfterSeconds: joinSeconds(rounds, (r) => r.notReadyMs),
        promotedAfterSeconds: joinSeconds(rounds, (r) => r.promotedMs),
        readyAgainAfterSeconds: joinSeconds(rounds, (r) => r.readyAgainMs),
        ingestResumedAfterSeconds: joinSeconds(rounds, (r) => r.ingestResumedMs),
        httpResumedAfterSeconds: joinSeconds(rounds, (r) => r.httpResumedMs),
        standbyRebuildSeconds: joinSeconds(rounds, (r) => r.standbyRebuildMs),
        http503Retries: http.unavailable,
        http503WithoutRetryAfter: http.missingRetryAfter,
        httpFailures: http.failures.length,
        producerSendRetries: load.sendRetries,
        producerFailures: load.failures.length,
        serviceRestarts,
      },
    });

    expect(http.failures).toEqual([]);
    expect(load.failures).toEqual([]);
    expect(http.missingRetryAfter).toBe(0);
    // A write refused by a read-only standby is retried, never dead-lettered as unstorable.
    expect(deadLettered).toBe(0);
    expect(serviceRestarts).toBe(0);
    for (const round of rounds) {
      expect({ http: round.httpAcknowledgedMissing, kafka: round.kafkaCommittedMissing }).toEqual({
        http: 0,
        kafka: 0,
      });
      // The fault landed where it was aimed: commits the service never heard of (all of them on
      // the standby: synchronous replication), or a statement running at the kill.
      if (round.aim === 'unanswered-commit') {
        expect(round.unansweredCommits.filter((id) => id.startsWith('fo-http')).length).toBeGreaterThan(0);
        expect(round.unansweredCommits.filter((id) => id.startsWith('fo-kafka')).length).toBeGreaterThan(0);
        expect(round.unansweredMissingOnStandby).toBe(0);
      } else {
        expect(round.appendsInFlightAtKill).toBeGreaterThan(0);
      }
    }
    expect(unansweredHttpNotAcknowledgedLater).toEqual([]);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(rounds).toHaveLength(failovers);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
