import type { Producer } from 'kafkajs';
import { cloudEvent, connectProducer, createTestContext, queryDatabase, type TestContext } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

const PER_OPERATION = 5;

/** Produces PER_OPERATION events for each id, one send per operation, keyed by operation id. */
async function produce(producer: Producer, topic: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    const events = [
      cloudEvent(id, 'operation.created'),
      cloudEvent(id, 'stage.started', { stage: 'a' }),
      cloudEvent(id, 'stage.completed', { stage: 'a' }),
      cloudEvent(id, 'metadata.updated', { metadata: { n: 1 } }),
      cloudEvent(id, 'operation.completed'),
    ];
    await producer.send({ topic, messages: events.map((e) => ({ key: id, value: JSON.stringify(e) })) });
  }
}

async function expectExactlyOnce(url: string, ids: string[]): Promise<void> {
  const rows = await queryDatabase<{ operation_id: string; versions: number[]; distinct_ids: string; head: number }>(
    url,
    `SELECT e.operation_id, array_agg(e.version ORDER BY e.version) AS versions, count(DISTINCT e.event_id) AS distinct_ids,
            o.version AS head
     FROM operation_events e JOIN operations o ON o.id = e.operation_id GROUP BY e.operation_id, o.version`,
  );
  expect(rows.map((r) => r.operation_id).sort()).toEqual([...ids].sort());
  for (const row of rows) {
    expect(row.versions).toEqual([1, 2, 3, 4, 5]);
    expect(Number(row.distinct_ids)).toBe(PER_OPERATION);
    expect(row.head).toBe(PER_OPERATION);
  }
}

const stored = async (url: string) =>
  Number((await queryDatabase<{ n: string }>(url, 'SELECT count(*) AS n FROM operation_events'))[0].n);

describe('the service as a process', () => {
  let producer: Producer;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    producer = await connectProducer();
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await producer?.disconnect();
  });

  it('finishes the batch in flight on SIGTERM, exits 0, and a restart loses and duplicates nothing', async () => {
    const context: TestContext = await createTestContext();
    const service = await ServiceProcess.start(context, { INGEST_BATCH_MAX_EVENTS: '50' });
    running.push(service);
    const ids = Array.from({ length: 150 }, (_, i) => `term-${i}`);
    const producing = produce(producer, context.topic, ids);
    await waitFor('ingest under way', async () => (await stored(context.databaseUrl)) > 50);

    const ended = await service.signal('SIGTERM');
    expect(ended).toEqual({ code: 0, signal: null });
    await producing;

    await service.launch();
    await waitFor('every event stored', async () => (await stored(context.databaseUrl)) === ids.length * PER_OPERATION);
    await expectExactlyOnce(context.databaseUrl, ids);
    expect(await service.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it("moves a killed instance's partitions to the other two of three and loses nothing", async () => {
    const context: TestContext = await createTestContext();
    const instances: ServiceProcess[] = [];
    for (let i = 0; i < 3; i += 1) {
      const instance = await ServiceProcess.start(context, {
        INGEST_BATCH_MAX_EVENTS: '25',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      });
      running.push(instance);
      instances.push(instance);
    }
    await waitFor('all six partitions spread over three instances', async () => {
      const owned = await Promise.all(instances.map(async (s) => s.assignedPartitions()));
      return owned.every((p) => p.length === 2) && new Set(owned.flat()).size === 6;
    });

    const ids = Array.from({ length: 240 }, (_, i) => `failover-${i}`);
    await produce(producer, context.topic, ids.slice(0, 80));
    const [victim, ...survivors] = instances;
    const victimPartitions = await victim.assignedPartitions();
    const killed = await victim.signal('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    await produce(producer, context.topic, ids.slice(80));

    await waitFor(
      'the survivors to own every partition',
      async () => {
        const owned = await Promise.all(survivors.map(async (s) => s.assignedPartitions()));
        return new Set(owned.flat()).size === 6;
      },
      { timeoutMs: 90_000 },
    );
    const owned = (await Promise.all(survivors.map(async (s) => s.assignedPartitions()))).flat();
    for (const partition of victimPartitions) expect(owned).toContain(partition);
    await waitFor(
      'every event stored',
      async () => (await stored(context.databaseUrl)) === ids.length * PER_OPERATION,
      {
        timeoutMs: 90_000,
      },
    );
    await expectExactlyOnce(context.databaseUrl, ids);
    for (const survivor of survivors) expect(await survivor.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
