import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { eventDigest } from '../../src/envelope/event-digest';
import { DEAD_LETTER_HEADERS } from '../../src/ingest/dead-letters/dead-letter';
import { databaseOptions } from '../../src/event-store/database-options';
import { runMigrations } from '../../src/event-store/run-migrations';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  createTestDatabase,
  operationEvent,
  queryDatabase,
  readTopic,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

const CE = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const MINUTE = 60_000;

/** The value of a counter sample with exactly these labels in the Prometheus text, 0 when absent. */
function counter(metrics: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(',');
  for (const line of metrics.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && match[2].split(',').sort().join(',') === wanted) return Number(match[3]);
  }
  return 0;
}

describe('input opledger does not trust: reused ids and clocks in the future', () => {
  let context: TestContext;
  let service: RunningApp;
  let producer: Producer;

  const post = (id: string, body: unknown, contentType = CE) =>
    service.http().post(`/v1/operations/${id}/events`).set('content-type', contentType).send(JSON.stringify(body));
  const history = async (id: string) =>
    (await service.http().get(`/v1/operations/${id}/events`).expect(200)).body.events as {
      id: string;
      version: number;
      time: string;
      data: unknown;
    }[];
  const untilVersion = (id: string, version: number) =>
    waitFor(`${id} at version ${version}`, async () => {
      const { body } = await service.http().get(`/v1/operations/${id}`);
      return body.version === version;
    });
  const deadLetters = (key: string) =>
    queryDatabase<{ reason: string; detail: string; offset: string; event_id: string | null }>(
      context.databaseUrl,
      `SELECT reason, detail, "offset", event_id FROM dead_letters WHERE record_key = $1 ORDER BY "offset"::bigint`,
      [key],
    );

  beforeAll(async () => {
    context = await createTestContext();
    // One partition: the records of a test reach the consumer in order, in as few fetches as possible.
    service = await startTestApp(context, { KAFKA_TOPIC_PARTITIONS: '1' });
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.close();
  });

  it('stores an id once from a Kafka batch holding an exact and a conflicting duplicate of it, and dead-letters the conflict', async () => {
    const id = 'reuse-kafka';
    const original = cloudEvent(id, 'stage.started', { stage: 'ocr' });
    const conflicting = { ...original, data: { stage: 'geo' } };
    const marker = cloudEvent(id, 'stage.completed', { stage: 'ocr' });
    // One send, one partition: the three copies and the marker travel in one batch.
    const sent = await producer.send({
      topic: context.topic,
      messages: [original, original, conflicting, marker].map((event) => ({
        key: id,
        value: JSON.stringify(event),
      })),
    });
    await untilVersion(id, 2);
    await waitFor('the dead letter', async () => (await deadLetters(id)).length === 1);

    const events = await history(id);
    expect(events.map((e) => [e.id, e.version, e.data])).toEqual([
      [original.id, 1, { stage: 'ocr' }],
      [marker.id, 2, { stage: 'ocr' }],
    ]);
    const [letter] = await deadLetters(id);
    const firstOffset = BigInt(sent[0].baseOffset ?? '0');
    expect(letter).toEqual({
      reason: 'id_conflict',
      offset: String(firstOffset + 2n),
      event_id: original.id,
      detail: expect.stringContaining(`already stored as version 1 of operation ${id}`),
    });
    const topic = (await readTopic(`${context.topic}.dlq`, 1)).filter((m) => m.key?.toString() === id);
    expect(topic.map((m) => m.headers?.[DEAD_LETTER_HEADERS.reason]?.toString())).toEqual(['id_conflict']);
    expect(topic[0].headers?.[DEAD_LETTER_HEADERS.detail]?.toString()).toContain('version 1');
    expect(topic[0].headers?.[DEAD_LETTER_HEADERS.field]?.toString()).toBe('id');
  });

  it('answers 409 id-conflict over HTTP for an id that came over Kafka with other content, 200 for an exact repeat', async () => {
    const id = 'reuse-http';
    const created = cloudEvent(id, 'operation.created');
    const first = cloudEvent(id, 'stage.started', { stage: 'parse' });
    for (const event of [created, first]) {
      await producer.send({ topic: context.topic, messages: [{ key: id, value: JSON.stringify(event) }] });
    }
    await untilVersion(id, 2);

    // Another time is another event: a producer that reused the id (a counter reset, a copy-pasted id).
    const reused = { ...first, time: new Date(Date.parse(first.time) + 1000).toISOString() };
    const refused = await post(id, reused).expect(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/\/id-conflict$/),
      status: 409,
      field: 'id',
      storedVersion: 2,
      storedOperationId: id,
      detail: expect.stringContaining(`"${first.id}" is already stored as version 2`),
    });
    expect(Object.keys(refused.body).sort()).toEqual([
      'detail',
      'field',
      'instance',
      'status',
      'storedOperationId',
      'storedVersion',
      'title',
      'type',
    ]);

    // The same event in another textual form (offset time, keys reordered) is the same event.
    const sameInstant = new Date(Date.parse(first.time) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const { data, ...attributes } = first;
    const repeat = { data, ...attributes, time: sameInstant };
    const answered = await post(id, repeat).expect(200);
    expect(answered.body.events).toEqual([
      { id: first.id, status: 'duplicate', version: 2, position: expect.any(Number) },
    ]);

    // A batch that reuses the id refuses the whole request: its other event is not stored either.
    const batch = await post(id, [cloudEvent(id, 'stage.completed', { stage: 'parse' }), reused], BATCH).expect(409);
    expect(batch.body.type).toMatch(/\/id-conflict$/);
    expect((await history(id)).map((e) => e.id)).toEqual([created.id, first.id]);
  });

  it('refuses one HTTP batch holding one id twice with different content, and stores nothing of it', async () => {
    const id = 'reuse-batch';
    const event = cloudEvent(id, 'metadata.updated', { metadata: { owner: 'a' } });
    const response = await post(id, [event, { ...event, data: { metadata: { owner: 'b' } } }], BATCH).expect(409);
    expect(response.body).toMatchObject({ type: expect.stringMatching(/\/id-conflict$/), storedVersion: 1 });
    await service.http().get(`/v1/operations/${id}`).expect(404);
    await post(id, [event, event], BATCH).expect(201);
    expect((await history(id)).map((e) => e.id)).toEqual([event.id]);
  });

  it('refuses an event an hour in the future over Kafka and HTTP, and stores one a minute ahead', async () => {
    const id = 'future';
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const created = cloudEvent(id, 'operation.created', undefined, { time: at(-MINUTE) });
    const farKafka = cloudEvent(id, 'operation.completed', undefined, { time: at(60 * MINUTE) });
    const nearKafka = cloudEvent(id, 'stage.started', { stage: 'ocr' }, { time: at(MINUTE) });
    await producer.send({
      topic: context.topic,
      messages: [created, farKafka, nearKafka].map((event) => ({ key: id, value: JSON.stringify(event) })),
    });
    await untilVersion(id, 2);
    await waitFor('the dead letter', async () => (await deadLetters(id)).length === 1);
    const [letter] = await deadLetters(id);
    expect(letter).toMatchObject({ reason: 'time_in_future', event_id: farKafka.id });
    expect(letter.detail).toMatch(/ahead of opledger's clock .*more than the 5 min allowed \(MAX_CLOCK_SKEW\)/);

    const farHttp = cloudEvent(id, 'operation.failed', { error: 'x' }, { time: at(60 * MINUTE) });
    const refused = await post(id, farHttp).expect(400);
    expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/time-in-future$/), field: 'time' });
    // Only the members the OpenAPI Problem schema declares.
    expect(Object.keys(refused.body).sort()).toEqual(['detail', 'field', 'instance', 'status', 'title', 'type']);
    const inBatch = await post(id, [cloudEvent(id, 'x.noted', undefined, { time: at(0) }), farHttp], BATCH).expect(400);
    expect(inBatch.body).toMatchObject({ type: expect.stringMatching(/\/time-in-future$/), field: '[1].time' });
    const nearHttp = cloudEvent(id, 'stage.completed', { stage: 'ocr' }, { time: at(MINUTE) });
    await post(id, nearHttp).expect(201);

    expect((await history(id)).map((e) => e.id)).toEqual([created.id, nearKafka.id, nearHttp.id]);
    const state = (await service.http().get(`/v1/operations/${id}`).expect(200)).body;
    expect(state).toMatchObject({ status: 'running', stages: { ocr: { status: 'succeeded' } } });

    const metrics = (await service.http().get('/metrics').expect(200)).text;
    expect(counter(metrics, 'opledger_rejected_events_total', { reason: 'time_in_future', channel: 'kafka' })).toBe(1);
    expect(counter(metrics, 'opledger_rejected_events_total', { reason: 'time_in_future', channel: 'http' })).toBe(2);
    expect(counter(metrics, 'opledger_rejected_events_total', { reason: 'id_conflict', channel: 'kafka' })).toBe(1);
    expect(counter(metrics, 'opledger_rejected_events_total', { reason: 'id_conflict', channel: 'http' })).toBe(3);
  });
});

describe('MAX_CLOCK_SKEW', () => {
  it('0 turns the check off', async () => {
    const service = await startTestApp(await createTestContext(), { INGEST_ENABLED: 'false', MAX_CLOCK_SKEW: '0' });
    try {
      const event = cloudEvent('skew-off', 'operation.created', undefined, {
        time: new Date(Date.now() + 24 * 3600_000).toISOString(),
      });
      await service
        .http()
        .post('/v1/operations/skew-off/events')
        .set('content-type', CE)
        .send(JSON.stringify(event))
        .expect(201);
    } finally {
      await service.close();
    }
  });
});

describe('event digests migration', () => {
  it('backfills the digest of every stored event exactly as the append computes it', async () => {
    const url = await createTestDatabase();
    const all = databaseOptions(url);
    const before = new DataSource({ ...all, migrations: (all.migrations as unknown[]).slice(0, 6) } as typeof all);
    await before.initialize();
    await runMigrations(before);
    // Events as the previous release wrote them: no digest; data with keys in the producer's order.
    const events = [
      operationEvent('old-1', 'operation.created', { z: 1, a: { y: [1, 2, { c: null, b: 'x' }], x: 1.5 } }),
      operationEvent('old-1', 'stage.started', { stage: 'ocr' }, { time: '2026-03-01T10:00:00.1234567+02:00' }),
      operationEvent('old-2', 'custom.noted'),
    ];
    for (const [index, event] of events.entries()) {
      await before.query(
        `INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [event.operationId, index === 1 ? 2 : 1, event.id, event.type, event.source, event.time, event.data],
      );
    }
    await before.destroy();

    const after = new DataSource(all);
    await after.initialize();
    // Later migrations may follow; this one comes first.
    expect((await runMigrations(after)).slice(0, 1)).toEqual(['EventDigests1764000600000']);
    await after.destroy();
    const rows = await queryDatabase<{ event_id: string; digest: string }>(
      url,
      `SELECT event_id, encode(digest, 'base64') AS digest FROM operation_events ORDER BY position`,
    );
    expect(rows).toEqual(events.map((event) => ({ event_id: event.id, digest: eventDigest(event) })));
  });
});
