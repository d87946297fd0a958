import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { BaselineTracker } from '../support/baseline-tracker';
import { referenceState } from '../support/reference-fold';
import { createTestContext, createTestDatabase, uniqueName } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import {
  checkLedger,
  expectLedgerIntact,
  ledgerColumns,
  ledgerFigures,
  waitForStoredCount,
} from './support/ledger-check';
import { toSeconds, writeResult } from './support/results';
import {
  appendOverHttp,
  asReferenceEvents,
  emptyHttpStats,
  generateOperations,
  seededRandom,
  type SentEvent,
  type SentLedger,
  shuffle,
  sleep,
} from './support/workload';

const { operations, producers, duplicateRatio } = CHAOS_SIZE.races;

interface Delivery {
  sent: SentEvent;
  channel: 'kafka' | 'http';
}

describe('scenario 1: races', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it(`stores every event of ${operations} operations exactly once through ${producers} racing producers, and folds each correctly`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    const service = await ServiceProcess.start(context);
    cleanups.push(() => service.stop());
    const baseline = await BaselineTracker.start(
      await createTestDatabase(),
      testInfrastructure().brokers,
      context.topic,
    );
    cleanups.push(() => baseline.stop());

    const ledger: SentLedger = new Map();
    const events = generateOperations('race', operations, random, ledger);
    // Every event once, 10% a second time, each copy on a channel of its own; then all shuffled
    // across producers, so one operation's events arrive out of order, through both channels at once.
    const deliveries: Delivery[] = shuffle(
      random,
      events.flatMap((sent) =>
        Array.from({ length: random() < duplicateRatio ? 2 : 1 }, (): Delivery => ({
          sent,
          channel: random() < 0.5 ? 'kafka' : 'http',
        })),
      ),
    );
    const lanes: Delivery[][] = Array.from({ length: producers }, () => []);
    deliveries.forEach((delivery, index) => lanes[index % producers].push(delivery));

    const kafka = new Kafka({
      clientId: uniqueName('race'),
      brokers: testInfrastructure().brokers,
      logLevel: logLevel.ERROR,
    });
    const kafkaProducers: Producer[] = [];
    for (let i = 0; i < producers; i += 1) {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      kafkaProducers.push(producer);
      cleanups.push(() => producer.disconnect());
    }

    const http = emptyHttpStats();
    const baselineFailures: string[] = [];
    const runLane = async (lane: Delivery[], producer: Producer) => {
      const laneRandom = seededRandom(Math.floor(random() * 2 ** 31));
      for (let index = 0; index < lane.length;) {
        if (laneRandom() < 0.2) await sleep(laneRandom() * 4);
        const delivery = lane[index];
        if (delivery.channel === 'http') {
          const event = delivery.sent.event;
          const [, naive] = await Promise.all([
            appendOverHttp(service.url, event, http),
            fetch(`${baseline.url}/v1/operations/${event.subject}/events`, {
              method: 'POST',
              body: JSON.stringify(event),
            }),
          ]);
          if (naive.status !== 204) baselineFailures.push(await naive.text());
          index += 1;
          continue;
        }
        // A run of Kafka deliveries goes out as one send of up to 20 records, like a batching producer.
        const run: Delivery[] = [];
        const limit = 1 + Math.floor(laneRandom() * 20);
        while (index < lane.length && lane[index].channel === 'kafka' && run.length < limit) run.push(lane[index++]);
        await producer.send({
          topic: context.topic,
          messages: run.map(({ sent }) => ({ key: sent.event.subject, value: JSON.stringify(sent.event) })),
        });
      }
    };
    await Promise.all(lanes.map((lane, i) => runLane(lane, kafkaProducers[i])));
    const sentAt = Date.now();

    const distinct = events.length;
    const timeout = await waitForStoredCount(context.databaseUrl, distinct, 300_000);
    const kafkaDeliveries = deliveries.filter((d) => d.channel === 'kafka').length;
    const httpDeliveries = deliveries.length - kafkaDeliveries;
    await waitFor(
      'the baseline to handle every delivery',
      () => baseline.kafkaRecordsHandled >= kafkaDeliveries && baseline.httpRequestsHandled >= httpDeliveries,
      { timeoutMs: 300_000, intervalMs: 250 },
    );
    const ingestedAt = Date.now();

    const figures = await checkLedger(context.databaseUrl, ledger);
    const naiveStatuses = await baseline.statuses();
    let baselineStaleRows = 0;
    // What /v1/stats must say, counted from what was sent with the independent reference fold.
    const expectedStats = {
      total: ledger.size,
      byStatus: { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 } as Record<string, number>,
      inProgress: 0,
      runningByStage: {} as Record<string, number>,
    };
    for (const [operationId, sent] of ledger) {
      const truth = referenceState(operationId, asReferenceEvents(sent));
      if (naiveStatuses.get(operationId) !== truth.status) baselineStaleRows += 1;
      expectedStats.byStatus[truth.status] += 1;
      if (truth.status !== 'pending' && truth.status !== 'running') continue;
      expectedStats.inProgress += 1;
      for (const [stage, value] of Object.entries(truth.stages)) {
        if (value.status === 'running')
          expectedStats.runningByStage[stage] = (expectedStats.runningByStage[stage] ?? 0) + 1;
      }
    }
    const stats = (await (await fetch(`${service.url}/v1/stats`)).json()) as typeof expectedStats;
    const statsMatchLog =
      JSON.stringify(stats) ===
      JSON.stringify({ ...expectedStats, runningByStage: sortedKeys(expectedStats.runningByStage) });

    writeResult({
      scenario: 'races',
      order: 1,
      title: 'Races: concurrent producers, shuffled, duplicated, Kafka + HTTP',
      sizeDescription: `${operations.toLocaleString('en')} operations, ${producers} producers, ${Math.round(duplicateRatio * 100)}% sent twice`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: ledgerColumns(figures, deliveries.length, baselineStaleRows),
      figures: {
        ...ledgerFigures(figures),
        kafkaRecords: kafkaDeliveries,
        httpRequests: httpDeliveries,
        http503Retries: http.unavailableRetries,
        httpFailures: http.failures.length,
        baselineRows: naiveStatuses.size,
        statsMatchLog: statsMatchLog ? 1 : 0,
        baselineStalePercent: Math.round((1000 * baselineStaleRows) / ledger.size) / 10,
        sendSeconds: toSeconds(sentAt - startedAt),
        drainSeconds: toSeconds(ingestedAt - sentAt),
      },
    });

    expect(http.failures).toEqual([]);
    expect(baselineFailures).toEqual([]);
    expectLedgerIntact(figures);
    // The counters behind /v1/stats agree with the log, after every race above.
    expect(stats).toEqual(expectedStats);
    if (timeout) throw timeout;
    // The comparison only means something if the naive design really was exposed to the races.
    expect(naiveStatuses.size).toBe(ledger.size);
  });
});

function sortedKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
