import type { Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../src/ingest/dead-letters/dead-letter';
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

describe('Kafka ingest semantics', () => {
  let context: TestContext;
  let service: RunningApp;
  let producer: Producer;

  const send = (key: string | null, value: string | Buffer | null, headers?: Record<string, string>) =>
    producer.send({ topic: context.topic, messages: [{ key, value, headers }] });
  const sendEvent = (event: ReturnType<typeof cloudEvent>) => send(event.subject, JSON.stringify(event));
  const state = async (id: string) => (await service.http().get(`/v1/operations/${id}`)).body;
  const untilVersion = (id: string, version: number) =>
    waitFor(`${id} at version ${version}`, async () => (await state(id)).version === version);

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { MAX_EVENT_DATA_BYTES: '2048' });
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.close();
  });

  it('stores a redelivered event once and leaves the state unchanged', async () => {
    const created = cloudEvent('dup-1', 'operation.created');
    const started = cloudEvent('dup-1', 'stage.started', { stage: 'parse' });
    await sendEvent(created);
    await sendEvent(started);
    await sendEvent(created);
    await sendEvent(started);
    const marker = cloudEvent('dup-1', 'stage.completed', { stage: 'parse' });
    await sendEvent(marker);
    await untilVersion('dup-1', 3);
    const history = (await service.http().get('/v1/operations/dup-1/events').expect(200)).body.events;
    expect(history.map((e: { id: string }) => e.id)).toEqual([created.id, started.id, marker.id]);
    expect(await state('dup-1')).toMatchObject({
      eventCount: 3,
      stages: { parse: { attempts: 1, status: 'succeeded' } },
    });
  });

  it('reaches the same state whatever order the events arrive in', async () => {
    const history = (id: string) => [
      cloudEvent(id, 'operation.created', undefined, { id: `${id}-1` }),
      cloudEvent(id, 'stage.started', { stage: 'a' }, { id: `${id}-2` }),
      cloudEvent(id, 'metadata.updated', { metadata: { owner: 'x', size: 1 } }, { id: `${id}-3` }),
      cloudEvent(id, 'stage.completed', { stage: 'a' }, { id: `${id}-4` }),
      cloudEvent(id, 'metadata.updated', { metadata: { owner: null } }, { id: `${id}-5` }),
      cloudEvent(id, 'stage.started', { stage: 'b' }, { id: `${id}-6` }),
      cloudEvent(id, 'stage.failed', { stage: 'b', error: 'timeout' }, { id: `${id}-7` }),
      cloudEvent(id, 'operation.failed', { error: 'b failed' }, { id: `${id}-8` }),
    ];
    const inOrder = history('order-fwd');
    // Same instants for the reversed copy, so the two sets differ only in subject and id prefix.
    const reversed = history('order-rev')
      .map((event, i) => ({ ...event, time: inOrder[i].time }))
      .reverse();
    for (const event of inOrder) await sendEvent(event);
    for (const event of reversed) await sendEvent(event);
    await untilVersion('order-fwd', 8);
    await untilVersion('order-rev', 8);
    const forward = await state('order-fwd');
    const backward = await state('order-rev');
    expect({ ...backward, id: 'x' }).toEqual({ ...forward, id: 'x' });
    expect(forward).toMatchObject({
      status: 'failed',
      error: 'b failed',
      metadata: { size: 1 },
      stages: { a: { status: 'succeeded' }, b: { status: 'failed', error: 'timeout' } },
    });
  });

  it('accepts binary-mode records (attributes in ce_ headers, data in the value)', async () => {
    await send('binary-1', JSON.stringify({ stage: 'ocr' }), {
      ce_specversion: '1.0',
      ce_id: 'binary-1-evt',
      ce_source: 'svc/ocr',
      ce_type: 'stage.started',
      ce_subject: 'binary-1',
      ce_time: '2026-03-01T10:00:00+02:00',
    });
    await untilVersion('binary-1', 1);
    expect(await state('binary-1')).toMatchObject({
      stages: { ocr: { status: 'running', source: 'svc/ocr', firstStartedAt: '2026-03-01T08:00:00.000000Z' } },
    });
  });

  it('dead-letters every kind of bad record with its reason and stores the valid records around it', async () => {
    const id = 'poison-1';
    const conflicting = cloudEvent(id, 'stage.started', { stage: 's' }, { expectedversion: 0 });
    const bad: { reason: string; send: () => Promise<unknown> }[] = [
      { reason: 'invalid_json', send: () => send(id, '{"specversion": "1.0", ') },
      {
        reason: 'invalid_envelope',
        send: () => send(id, JSON.stringify({ ...cloudEvent(id, 'x.y'), time: 'yesterday' })),
      },
      { reason: 'invalid_envelope', send: () => send(id, JSON.stringify({ ...cloudEvent(id, 'stage.started', {}) })) },
      {
        reason: 'oversize_data',
        send: () => send(id, JSON.stringify(cloudEvent(id, 'x.y', { blob: 'z'.repeat(4096) }))),
      },
      { reason: 'key_mismatch', send: () => send(id, JSON.stringify(cloudEvent('someone-else', 'x.y'))) },
      { reason: 'version_conflict', send: () => sendEvent(conflicting) },
    ];
    const valid = [cloudEvent(id, 'operation.created')];
    await sendEvent(valid[0]);
    for (const item of bad) {
      await item.send();
      const next = cloudEvent(id, 'custom.noted', { after: item.reason });
      valid.push(next);
      await sendEvent(next);
    }
    await untilVersion(id, valid.length);

    const history = (await service.http().get(`/v1/operations/${id}/events`).expect(200)).body.events;
    expect(history.map((e: { id: string }) => e.id)).toEqual(valid.map((e) => e.id));

    const rows = await queryDatabase<{ reason: string; offset: string; detail: string }>(
      context.databaseUrl,
      `SELECT reason, "offset", detail FROM dead_letters WHERE channel = 'kafka' AND (record_key = $1) ORDER BY "offset"::bigint`,
      [id],
    );
    expect(rows.map((r) => r.reason)).toEqual(bad.map((b) => b.reason));
    expect(rows.find((r) => r.reason === 'version_conflict')?.detail).toContain('does not match the current version');

    const dlq = await readTopic(`${context.topic}.dlq`, bad.length);
    const reasons = dlq
      .filter((m) => m.key?.toString() === id)
      .map((m) => ({
        reason: m.headers?.[DEAD_LETTER_HEADERS.reason]?.toString(),
        offset: m.headers?.[DEAD_LETTER_HEADERS.originalOffset]?.toString(),
        topic: m.headers?.[DEAD_LETTER_HEADERS.originalTopic]?.toString(),
      }));
    expect(reasons.map((r) => r.reason)).toEqual(bad.map((b) => b.reason));
    expect(reasons.map((r) => r.offset)).toEqual(rows.map((r) => r.offset));
    expect(new Set(reasons.map((r) => r.topic))).toEqual(new Set([context.topic]));
  });

  it('appends an event whose expectedversion matches the head', async () => {
    const id = 'expected-1';
    await sendEvent(cloudEvent(id, 'operation.created'));
    await untilVersion(id, 1);
    await sendEvent(cloudEvent(id, 'stage.started', { stage: 'x' }, { expectedversion: 1 }));
    await untilVersion(id, 2);
  });
});
