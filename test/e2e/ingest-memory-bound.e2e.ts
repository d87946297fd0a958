import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaIngestService } from '../../src/ingest/kafka-ingest.service';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  queryDatabase,
  startTestApp,
  type TestContext,
  uniqueName,
} from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';

const PARTITIONS = 3;
const OPERATIONS = 300;
const STAGES = ['fetch', 'parse', 'enrich', 'store'];
const EVENTS_PER_OPERATION = STAGES.length + 2;
/** Caps far below the backlog (~1 MiB): kafkajs' defaults (10 MiB a fetch, 1 MiB a partition) would take it whole. */
const FETCH_MAX_BYTES = 32 * 1024;
const FETCH_MAX_BYTES_PER_PARTITION = 8 * 1024;
const IN_FLIGHT_MAX_BYTES = 16 * 1024;

async function createTopic(topic: string): Promise<void> {
  const admin = new Kafka({
    clientId: uniqueName('test-admin'),
    brokers: testInfrastructure().brokers,
    logLevel: logLevel.ERROR,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
  } finally {
    await admin.disconnect();
  }
}

/** One send per operation (its six events, padded to ~350 bytes each): record batches of ~2 KiB. */
async function produceBacklog(producer: Producer, topic: string): Promise<number> {
  let backlogBytes = 0;
  for (let i = 0; i < OPERATIONS; i += 1) {
    const id = `memory-${i}`;
    const note = 'x'.repeat(120);
    const events = [
      cloudEvent(id, 'operation.created', { note }),
      ...STAGES.map((stage) => cloudEvent(id, 'stage.completed', { stage, note })),
      cloudEvent(id, 'operation.completed', { note }),
    ];
    const messages = events.map((e) => ({ key: id, value: JSON.stringify(e) }));
    for (const m of messages) backlogBytes += m.key.length + m.value.length;
    await producer.send({ topic, messages });
  }
  return backlogBytes;
}

describe('ingest memory bound', () => {
  let producer: Producer;

  beforeAll(async () => {
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('drains a backlog holding at most one capped fetch, with at most the in-flight budget parsed or appending', async () => {
    const context: TestContext = await createTestContext();
    await createTopic(context.topic);
    const backlogBytes = await produceBacklog(producer, context.topic);
    const backlogEvents = OPERATIONS * EVENTS_PER_OPERATION;

    const running = await startTestApp(context, {
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      INGEST_FETCH_MAX_BYTES: String(FETCH_MAX_BYTES),
      INGEST_FETCH_MAX_BYTES_PER_PARTITION: String(FETCH_MAX_BYTES_PER_PARTITION),
      INGEST_IN_FLIGHT_MAX_BYTES: String(IN_FLIGHT_MAX_BYTES),
    });
    try {
      const count = async () =>
        Number(
          (await queryDatabase<{ n: string }>(context.databaseUrl, 'SELECT count(*) AS n FROM operation_events'))[0].n,
        );
      await waitFor('the backlog to be stored', async () => (await count()) === backlogEvents, { timeoutMs: 120_000 });

      const { fetched, inFlight } = running.app.get(KafkaIngestService).status();
      // Everything came through the caps: what kafkajs handed over at once never exceeded one fetch.
      expect(backlogBytes).toBeGreaterThan(16 * FETCH_MAX_BYTES);
      expect(fetched.highWaterBytes).toBeGreaterThan(0);
      expect(fetched.highWaterBytes).toBeLessThanOrEqual(FETCH_MAX_BYTES);
      expect(fetched.bytes).toBe(0);
      // The budget held: never more in flight than its capacity, and partitions did wait for it.
      expect(inFlight.capacityBytes).toBe(IN_FLIGHT_MAX_BYTES);
      expect(inFlight.highWaterBytes).toBeGreaterThan(IN_FLIGHT_MAX_BYTES / 4);
      expect(inFlight.highWaterBytes).toBeLessThanOrEqual(IN_FLIGHT_MAX_BYTES);
      expect(inFlight.waits).toBeGreaterThan(0);
      expect(inFlight.bytes).toBe(0);

      // Nothing was lost or reordered on the way: every operation complete, versions gap-free.
      const rows = await queryDatabase<{ versions: number[]; status: string }>(
        context.databaseUrl,
        `SELECT array_agg(e.version ORDER BY e.version) AS versions, o.status
         FROM operation_events e JOIN operations o ON o.id = e.operation_id GROUP BY e.operation_id, o.status`,
      );
      expect(rows).toHaveLength(OPERATIONS);
      const expected = Array.from({ length: EVENTS_PER_OPERATION }, (_, i) => i + 1);
      for (const row of rows) {
        expect(row.versions).toEqual(expected);
        expect(row.status).toBe('succeeded');
      }
      const [{ n: deadLetters }] = await queryDatabase<{ n: string }>(
        context.databaseUrl,
        'SELECT count(*) AS n FROM dead_letters',
      );
      expect(Number(deadLetters)).toBe(0);
    } finally {
      await running.close();
    }
  });
});
