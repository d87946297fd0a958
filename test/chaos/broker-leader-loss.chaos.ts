import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { ServiceProcess } from '../support/service-process';
import { createTestContext, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { committedOffsets } from './support/consumer-offsets';
import { highestOffsets, ReadinessMonitor, waitForEveryPartitionToResume } from './support/fault-timing';
import { coordinatorPartition, KafkaCluster, OFFSETS_TOPIC } from './support/kafka-cluster';
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
  SteadyProducer,
  type WriterControl,
} from './support/workload';

const { leaderKills, coordinatorKills, producers: producerCount, httpWriters } = CHAOS_SIZE.brokerLeaderLoss;
const PARTITIONS = 6;
/** Events the log must grow by between two kills: each fault lands in the middle of real ingest. */
const PROGRESS_BETWEEN_FAULTS = 200;

type FaultKind = 'leader' | 'coordinator';

interface LeaderLossRound {
  kind: FaultKind;
  node: number;
  /** Partitions of the topic the killed node led. */
  partitionsLed: number;
  /** Whether it also was the consumer group's coordinator. */
  wasCoordinator: boolean;
  electionMs: number;
  /** Until every partition had acknowledged a record produced after the kill. */
  producersResumedMs: number;
  /** Until every partition stored an event produced after the kill. */
  resumedMs: number;
  /**
   * Until the group's committed offset of every partition passed a record acknowledged after the
   * new leaders were elected: offset commits go through the coordinator, so after a coordinator
   * loss they prove the service found the new one.
   */
  commitsResumedMs: number;
  /** The group's coordinator once the killed node's partitions had new leaders. */
  coordinatorAfter: number;
  /** Commits or heartbeats that found the coordinator gone and made the consumer rejoin (service log). */
  rejoins: number;
  /** kafkajs consumer crashes (it restarts itself; readiness is 503 until it is back in the group). */
  consumerCrashes: number;
  readinessDownMs: number;
  restartMs: number;
  /** From the restart until the node is back in the ISR of every partition. */
  rejoinMs: number;
}

function faultPlan(): FaultKind[] {
  const plan: FaultKind[] = [];
  for (let i = 0; i < Math.max(leaderKills, coordinatorKills); i += 1) {
    if (i < leaderKills) plan.push('leader');
    if (i < coordinatorKills) plan.push('coordinator');
  }
  return plan;
}

const joinSeconds = (rounds: LeaderLossRound[], pick: (round: LeaderLossRound) => number) =>
  rounds.map((round) => toSeconds(pick(round)).toFixed(1)).join(' / ');

describe('scenario 9: Kafka partition leader and group coordinator loss in a 3-broker cluster', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opledger-chaos-kafka-cluster-'));
  let cluster: KafkaCluster | undefined;
  let service: ServiceProcess | undefined;
  const producers: Producer[] = [];
  const loads: SteadyProducer[] = [];
  const control: WriterControl = { stopping: false, abandoned: false };
  let readiness: ReadinessMonitor | undefined;

  afterAll(async () => {
    // After a failure the load may still be running: it must not keep the test process alive.
    control.abandoned = true;
    await readiness?.stop();
    await Promise.all(loads.map((load) => load.stop()));
    await service?.stop();
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps ingesting through leader elections and coordinator moves, and loses nothing', async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const plan = faultPlan();
    cluster = await KafkaCluster.start({ dataDir });
    const context = await createTestContext();
    const { topic, groupId } = context;
    service = await ServiceProcess.start(context, {
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      INGEST_BATCH_MAX_EVENTS: '50',
    });
    const servicePid = service.pid;
    const consumerLog = { rejoins: 0, crashes: 0, firstCrash: '' };
    service.onLine((line) => {
      if (line.includes('the group coordinator is unreachable: rejoining')) consumerLog.rejoins += 1;
      if (line.includes('consumer crashed')) consumerLog.crashes += 1;
      // kafkajs' own crash line carries the stack: where the error escaped its retries.
      if (line.includes('Crash: ')) consumerLog.firstCrash ||= line.slice(0, 4000);
    });
    const topicState = await cluster.partitions(topic);
    expect(topicState.map((p) => p.replicas.length)).toEqual(Array(PARTITIONS).fill(3));

    // Producers as docs/operations.md recommends them: idempotent, acks=all (kafkajs' default with idempotence).
    const ledger: SentLedger = new Map();
    for (let i = 0; i < producerCount; i += 1) {
      const producer = new Kafka({
        clientId: uniqueName(`cluster-producer${i}`),
        brokers: cluster.brokers,
        logLevel: logLevel.NOTHING,
      }).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      producers.push(producer);
      loads.push(
        new SteadyProducer({
          producer,
          topic,
          ledger,
          prefix: `kc${i}`,
          random: seededRandom(seed + i),
          operationsPerTick: 1,
          tickMs: 300,
          sendDeadlineMs: 180_000,
        }).start(),
      );
    }
    const http = emptyHttpStats();
    const writers = Array.from({ length: httpWriters }, (_, i) =>
      runHttpWriter(service!.url, `kc-http${i}`, ledger, seededRandom(seed + 100 + i), http, control),
    );

    /** What a failed round leaves for the failure message: who was producing, what the cluster and the service said. */
    const diagnostics = async (offsetsBefore: Map<number, number>) => {
      const produced = highestOffsets(loads.map((load) => load.placements));
      const lines = [
        `producers: ${loads.map((l) => `${l.acknowledgedEvents} acknowledged, ${l.sendRetries} send retries, ${l.failures.length} failures`).join('; ')}`,
        `highest acknowledged offset per partition before the kill ${JSON.stringify([...offsetsBefore])}, now ${JSON.stringify([...produced])}`,
        `stored: ${await countStoredEvents(context.databaseUrl).catch(String)}`,
        `partitions: ${JSON.stringify(await cluster!.partitions(topic).catch(String))}`,
        `readiness: ${JSON.stringify(await service!.ready().catch(String))}`,
        `service log:\n${service!.logs()}`,
      ];
      return lines.join('\n');
    };

    const rounds: LeaderLossRound[] = [];
    for (const kind of plan) {
      let offsetsBefore = new Map<number, number>();
      try {
        const before = await countStoredEvents(context.databaseUrl);
        await waitFor(
          'ingest progress',
          async () => (await countStoredEvents(context.databaseUrl)) >= before + PROGRESS_BETWEEN_FAULTS,
          { timeoutMs: 180_000, intervalMs: 250 },
        );
        const coordinator = await cluster.coordinator(groupId);
        const node = kind === 'leader' ? (await cluster.topLeader(topic)).node : coordinator;
        const partitionsLed = (await cluster.partitions(topic)).filter((p) => p.leader === node).length;
        offsetsBefore = highestOffsets(loads.map((load) => load.placements));
        readiness = new ReadinessMonitor(service);
        const logBefore = { ...consumerLog };

        const killedAt = Date.now();
        await cluster.kill(node);
        // Taken from the metadata that showed the election, not read again afterwards: each admin call may
        // ask another broker, and a broker's metadata cache can still name the killed node for a moment.
        let coordinatorAfter = -1;
        await waitFor(
          `new leaders for node ${node}'s partitions`,
          async () => {
            const led = (await cluster!.partitions(topic)).filter((p) => p.leader === node || p.leader < 0);
            const offsets = await cluster!.partitions(OFFSETS_TOPIC);
            const coordinatorPartitionLeader = offsets.find(
              (p) => p.partition === coordinatorPartition(groupId),
            )?.leader;
            coordinatorAfter = coordinatorPartitionLeader ?? -1;
            return led.length === 0 && coordinatorPartitionLeader !== node && coordinatorPartitionLeader !== -1;
          },
          { timeoutMs: 120_000, intervalMs: 100 },
        );
        const electionMs = Date.now() - killedAt;
        const resumed = await waitForEveryPartitionToResume({
          databaseUrl: context.databaseUrl,
          partitions: Array.from({ length: PARTITIONS }, (_, p) => p),
          placements: loads.map((load) => load.placements),
          before: offsetsBefore,
          since: killedAt,
          timeoutMs: 180_000,
        });
        const resumedMs = Math.max(...resumed.storedMs.values());
        const producersResumedMs = Math.max(...resumed.acknowledgedMs.values());
        const afterElection = highestOffsets(loads.map((load) => load.placements));
        let committed = new Map<number, number>();
        await waitFor(
          'offset commits past records produced after the election, on every partition',
          async () => {
            committed = await cluster!.withAdmin((admin) => committedOffsets(admin, groupId, topic));
            return Array.from({ length: PARTITIONS }, (_, p) => p).every(
              (p) => (committed.get(p) ?? -1) > (afterElection.get(p) ?? Infinity),
            );
          },
          { timeoutMs: 180_000, intervalMs: 250 },
        ).catch((error: unknown) => {
          throw new Error(
            `${String(error)}: committed ${JSON.stringify([...committed])}, to pass ${JSON.stringify([...afterElection])}`,
          );
        });
        const commitsResumedMs = Date.now() - killedAt;

        const restartAt = Date.now();
        await cluster.restart(node);
        const restartMs = Date.now() - restartAt;
        await waitFor(
          `node ${node} back in every ISR`,
          async () =>
            [...(await cluster!.partitions(topic)), ...(await cluster!.partitions(OFFSETS_TOPIC))].every((p) =>
              p.isr.includes(node),
            ),
          { timeoutMs: 180_000, intervalMs: 250 },
        );
        const rejoinMs = Date.now() - restartAt;
        await waitFor('readiness 200', async () => (await service!.ready()).status === 200, { timeoutMs: 120_000 });
        rounds.push({
          kind,
          node,
          partitionsLed,
          wasCoordinator: node === coordinator,
          electionMs,
          producersResumedMs,
          resumedMs,
          commitsResumedMs,
          coordinatorAfter,
          rejoins: consumerLog.rejoins - logBefore.rejoins,
          consumerCrashes: consumerLog.crashes - logBefore.crashes,
          readinessDownMs: await readiness!.stop(),
          restartMs,
          rejoinMs,
        });
      } catch (error) {
        throw new Error(
          `round ${rounds.length + 1} (${kind}) failed: ${String(error)}\n${await diagnostics(offsetsBefore)}`,
        );
      }
      // The service kept running through the fault: never restarted, never replaced.
      expect(service.pid).toBe(servicePid);
      expect(isAlive(servicePid)).toBe(true);
    }

    const afterLast = await countStoredEvents(context.databaseUrl);
    await waitFor(
      'ingest progress after the last restart',
      async () => (await countStoredEvents(context.databaseUrl)) > afterLast,
    );
    control.stopping = true;
    await Promise.all([...loads.map((load) => load.stop()), ...writers]);

    const timeout = await waitForStoredCount(context.databaseUrl, distinctEventCount(ledger), 180_000);
    const figures = await checkLedger(context.databaseUrl, ledger);
    const kafkaAcknowledged = loads.reduce((sum, load) => sum + load.acknowledgedEvents, 0);
    const producerFailures = loads.flatMap((load) => load.failures);
    const httpEvents = http.requests - http.unavailableRetries - http.connectionRetries;
    const kafkaOperations = [...ledger.keys()].filter((id) => !id.startsWith('kc-http')).length;
    writeResult({
      scenario: 'broker-leader-loss',
      order: 9,
      title: 'Kafka cluster (3 brokers, RF 3, min ISR 2): partition leader and group coordinator SIGKILLed mid-ingest',
      sizeDescription:
        `${rounds.filter((r) => r.kind === 'leader').length} leader kills + ` +
        `${rounds.filter((r) => r.kind === 'coordinator').length} coordinator kills, ` +
        `${kafkaOperations.toLocaleString('en')} operations over Kafka (${producerCount} idempotent producers, acks=all), ` +
        `${(ledger.size - kafkaOperations).toLocaleString('en')} over HTTP`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(figures, kafkaAcknowledged + httpEvents),
      figures: {
        ...ledgerFigures(figures),
        kills: rounds
          .map(
            (r) =>
              `${r.kind} node ${r.node} (led ${r.partitionsLed}/${PARTITIONS}` +
              `${r.wasCoordinator ? `, coordinator, moved to node ${r.coordinatorAfter}` : ''})`,
          )
          .join('; '),
        acknowledged: kafkaAcknowledged + httpEvents,
        electionSeconds: joinSeconds(rounds, (r) => r.electionMs),
        producersResumedAfterSeconds: joinSeconds(rounds, (r) => r.producersResumedMs),
        ingestResumedAfterSeconds: joinSeconds(rounds, (r) => r.resumedMs),
        commitsResumedAfterSeconds: joinSeconds(rounds, (r) => r.commitsResumedMs),
        readinessDownSeconds: joinSeconds(rounds, (r) => r.readinessDownMs),
        coordinatorRejoins: rounds.map((r) => r.rejoins).join(' / '),
        consumerCrashes: rounds.map((r) => r.consumerCrashes).join(' / '),
        ...(consumerLog.firstCrash ? { exampleConsumerCrash: consumerLog.firstCrash } : {}),
        brokerRestartSeconds: joinSeconds(rounds, (r) => r.restartMs),
        rejoinedIsrAfterSeconds: joinSeconds(rounds, (r) => r.rejoinMs),
        producerSendRetries: loads.reduce((sum, load) => sum + load.sendRetries, 0),
        producerFailures: producerFailures.length,
        httpFailures: http.failures.length,
        serviceRestarts: 0,
      },
    });

    expect(producerFailures).toEqual([]);
    expect(http.failures).toEqual([]);
    expectLedgerIntact(figures);
    if (timeout) throw timeout;
    expect(rounds.map((r) => r.kind)).toEqual(plan);
    // Each fault landed: partition leaders had to move (a leader round kills the top leader; the
    // first round's node leads its share of a fresh topic's partitions), and so did the coordinator.
    for (const round of rounds) {
      if (round.kind === 'leader') expect(round.partitionsLed).toBeGreaterThan(0);
      if (round.kind === 'coordinator') expect(round.wasCoordinator).toBe(true);
      if (round.wasCoordinator) expect(round.coordinatorAfter).not.toBe(round.node);
    }
    expect(rounds.some((round) => round.partitionsLed > 0)).toBe(true);
    expect(rounds.some((round) => round.wasCoordinator)).toBe(true);
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
