import type { Producer } from 'kafkajs';
import { KafkaIngestService } from '../../src/ingest/kafka-ingest.service';
import {
  createDatabaseIfMissing,
  spawnPostgresServer,
  stopPostgresServer,
  waitForPostgres,
} from '../../src/local-infra/local-postgres';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
  uniqueName,
} from '../support/test-app';
import { faultPostgres } from '../support/test-env';
import { waitFor } from '../support/wait-for';

const STAGES = ['fetch', 'parse', 'enrich', 'store'];

/** Six events per operation, produced one record at a time, keyed by operation id. */
async function produceOperations(producer: Producer, topic: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    const events = [
      cloudEvent(id, 'operation.created'),
      ...STAGES.map((stage) => cloudEvent(id, 'stage.completed', { stage })),
      cloudEvent(id, 'operation.completed'),
    ];
    await producer.send({ topic, messages: events.map((e) => ({ key: id, value: JSON.stringify(e) })) });
  }
}

async function expectGapFreeLog(databaseUrl: string, operations: number, perOperation: number): Promise<void> {
  const rows = await queryDatabase<{ operation_id: string; versions: number[]; head: number; status: string }>(
    databaseUrl,
    `SELECT e.operation_id, array_agg(e.version ORDER BY e.version) AS versions, o.version AS head, o.status
     FROM operation_events e JOIN operations o ON o.id = e.operation_id
     GROUP BY e.operation_id, o.version, o.status`,
  );
  expect(rows).toHaveLength(operations);
  const expected = Array.from({ length: perOperation }, (_, i) => i + 1);
  for (const row of rows) {
    expect(row.versions).toEqual(expected);
    expect(row.head).toBe(perOperation);
    expect(row.status).toBe('succeeded');
  }
  const [{ duplicates }] = await queryDatabase<{ duplicates: number }>(
    databaseUrl,
    'SELECT count(*) - count(DISTINCT event_id) AS duplicates FROM operation_events',
  );
  expect(Number(duplicates)).toBe(0);
}

const countEvents = async (url: string) =>
  Number((await queryDatabase<{ n: string }>(url, 'SELECT count(*) AS n FROM operation_events'))[0].n);

describe('ingest resilience', () => {
  let producer: Producer;

  beforeAll(async () => {
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('shares partitions between two instances and keeps versions gap-free through the rebalance', async () => {
    const context: TestContext = await createTestContext();
    const env = { KAFKA_TOPIC_PARTITIONS: '6', INGEST_BATCH_MAX_EVENTS: '20' };
    const first = await startTestApp(context, env);
    let second: RunningApp | undefined;
    try {
      const ids = Array.from({ length: 120 }, (_, i) => `shared-${i}`);
      await produceOperations(producer, context.topic, ids.slice(0, 60));
      second = await startTestApp(context, env);
      await produceOperations(producer, context.topic, ids.slice(60));
      await waitFor('every event stored', async () => (await countEvents(context.databaseUrl)) === ids.length * 6);

      await waitFor('both instances to hold partitions', () =>
        [first, second!].every((s) => s.app.get(KafkaIngestService).status().consumer.assignedPartitions.length > 0),
      );
      const assigned = [first, second].map((s) => s.app.get(KafkaIngestService).status().consumer.assignedPartitions);
      expect([...assigned[0], ...assigned[1]].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      await expectGapFreeLog(context.databaseUrl, ids.length, 6);
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it('waits out a Postgres stop during ingest, reports not ready, and loses nothing', async () => {
    const { adminUrl, command } = faultPostgres();
    const database = uniqueName('opledger_fault');
    await createDatabaseIfMissing(adminUrl, database);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const context: TestContext = {
      databaseUrl: url.toString(),
      topic: uniqueName('ops'),
      groupId: uniqueName('group'),
    };
    const service = await startTestApp(context, { INGEST_RETRY_MAX_BACKOFF_MS: '500', INGEST_BATCH_MAX_EVENTS: '25' });
    try {
      const ids = Array.from({ length: 90 }, (_, i) => `pg-restart-${i}`);
      await produceOperations(producer, context.topic, ids.slice(0, 30));
      await waitFor('some events stored', async () => (await countEvents(context.databaseUrl)) > 0);

      await stopPostgresServer(command.clusterDir);
      await waitFor(
        'readiness to report the database down',
        async () => (await service.http().get('/health/ready')).status === 503,
      );
      const down = await service.http().get('/health/ready');
      expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
      await produceOperations(producer, context.topic, ids.slice(30, 60));

      spawnPostgresServer(command);
      await waitForPostgres(adminUrl);
      await produceOperations(producer, context.topic, ids.slice(60));
      await waitFor('readiness back up', async () => (await service.http().get('/health/ready')).status === 200);
      await waitFor('every event stored', async () => (await countEvents(context.databaseUrl)) === ids.length * 6);
      await expectGapFreeLog(context.databaseUrl, ids.length, 6);
    } finally {
      await service.close();
    }
  });
});
