import type { Producer } from 'kafkajs';
import { REPUBLISHED_FROM_HEADER } from '../../src/ingest/dead-letters/dead-letter.service';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  queryDatabase,
  readTopic,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

const ADMIN = 'admin-key-0123456789abcdef';

describe('re-publishing dead letters after a fix', () => {
  let context: TestContext;
  let producer: Producer;
  let service: RunningApp | undefined;

  beforeAll(async () => {
    context = await createTestContext();
    producer = await connectProducer();
  });

  afterAll(async () => {
    await service?.close();
    await producer?.disconnect();
  });

  it('stores a once-refused event when its dead letter is re-published once the limit is raised', async () => {
    const env = { API_KEYS: `admin:${ADMIN}`, MAX_EVENT_DATA_BYTES: '1024' };
    service = await startTestApp(context, env);
    const big = cloudEvent('republish-1', 'operation.created', { document: 'x'.repeat(2000) });
    await producer.send({
      topic: context.topic,
      messages: [{ key: 'republish-1', value: JSON.stringify(big), headers: { trace: 't-1' } }],
    });
    await waitFor(
      'the dead letter',
      async () => (await queryDatabase(context.databaseUrl, 'SELECT id FROM dead_letters')).length === 1,
    );
    const [{ id }] = await queryDatabase<{ id: string }>(context.databaseUrl, 'SELECT id FROM dead_letters');

    // The fix: a larger limit. The same service (same group) restarts with it.
    await service.close();
    service = await startTestApp(context, { ...env, MAX_EVENT_DATA_BYTES: '4096' });
    const auth = { authorization: `Bearer ${ADMIN}` };
    const result = await service
      .http()
      .post('/v1/dead-letters/republish')
      .set(auth)
      .send({ ids: [Number(id), 999_999] })
      .expect(200);
    expect(result.body).toEqual({ republished: [Number(id)], notFound: [999_999] });

    await waitFor(
      'the event stored',
      async () => (await service!.http().get('/v1/operations/republish-1').set(auth)).status === 200,
    );
    const history = await service.http().get('/v1/operations/republish-1/events').set(auth).expect(200);
    expect(history.body.events.map((e: { id: string }) => e.id)).toEqual([big.id]);

    const listed = await service.http().get('/v1/dead-letters').set(auth).expect(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ reason: 'oversize_data', republishCount: 1 });
    expect(listed.body.items[0].republishedAt).not.toBeNull();

    const main = await readTopic(context.topic, 2);
    const again = main.find((m) => m.headers?.[REPUBLISHED_FROM_HEADER]?.toString() === id);
    expect(again?.headers?.trace?.toString()).toBe('t-1');
    expect(again?.headers?.['x-opledger-reason']).toBeUndefined();
  });

  it('refuses an empty or malformed id list with 400 naming ids', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    expect(
      (await service!.http().post('/v1/dead-letters/republish').set(auth).send({ ids: [] }).expect(400)).body.field,
    ).toBe('ids');
    expect(
      (
        await service!
          .http()
          .post('/v1/dead-letters/republish')
          .set(auth)
          .send({ ids: ['a'] })
          .expect(400)
      ).body.field,
    ).toBe('ids');
  });
});
