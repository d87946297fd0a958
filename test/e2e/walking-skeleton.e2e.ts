import type { Producer } from 'kafkajs';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  RunningApp,
  startTestApp,
  TestContext,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('walking skeleton: Kafka → Postgres event log → REST', () => {
  let context: TestContext;
  let service: RunningApp;
  let producer: Producer;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context);
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.close();
  });

  it('folds three events produced to the real broker into the operation read over REST', async () => {
    const id = 'op-skeleton-1';
    const events = [
      cloudEvent(id, 'operation.created', { metadata: { input: 'doc.json' } }),
      cloudEvent(id, 'stage.started', { stage: 'validate' }),
      cloudEvent(id, 'stage.completed', { stage: 'validate' }),
    ];
    for (const event of events) {
      await producer.send({ topic: context.topic, messages: [{ key: id, value: JSON.stringify(event) }] });
    }

    await waitFor('version 3', async () => (await service.http().get(`/v1/operations/${id}`)).body.version === 3);
    const state = await service.http().get(`/v1/operations/${id}`).expect(200);
    expect(state.body).toMatchObject({
      id,
      version: 3,
      eventCount: 3,
      status: 'running',
      stages: { validate: { status: 'succeeded', attempts: 1 } },
    });

    const history = await service.http().get(`/v1/operations/${id}/events`).expect(200);
    expect(history.body.events.map((e: { id: string }) => e.id)).toEqual(events.map((e) => e.id));
    expect(history.body.events.map((e: { version: number }) => e.version)).toEqual([1, 2, 3]);
    const positions = history.body.events.map((e: { position: number }) => e.position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(history.body.nextFromVersion).toBeNull();
  });

  it('answers an unknown operation with a 404 problem+json', async () => {
    const response = await service.http().get('/v1/operations/never-seen').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: 'Operation not found' });
    expect(response.body.detail).toContain('never-seen');
  });

  it('serves the same state after a restart on the same database', async () => {
    const before = await service.http().get('/v1/operations/op-skeleton-1').expect(200);
    await service.close();
    service = await startTestApp(context);
    const after = await service.http().get('/v1/operations/op-skeleton-1').expect(200);
    expect(after.body).toEqual(before.body);
    const history = await service.http().get('/v1/operations/op-skeleton-1/events').expect(200);
    expect(history.body.events).toHaveLength(3);
  });

  it('reports liveness and readiness', async () => {
    await service.http().get('/health/live').expect(200, { status: 'ok' });
    const ready = await service.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, kafkaConsumer: { status: 'up' } },
    });
    expect(ready.body.details.kafkaConsumer.partitions).toEqual(expect.arrayContaining([0, 1, 2]));
  });
});
