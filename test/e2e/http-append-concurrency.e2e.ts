import { Client } from 'pg';
import type { Response } from 'supertest';
import { APPEND_GATE_LOCK_KEY } from '../../src/event-store/event-store.service';
import { RequestAppendCoalescer } from '../../src/ingest/http/request-append-coalescer';
import { MetricsService } from '../../src/metrics/metrics.service';
import { cloudEvent, createTestContext, type RunningApp, startTestApp, type TestContext } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const CE = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

type Event = ReturnType<typeof cloudEvent>;

/** What a request must be answered, worked out from the log as it stood before the burst. */
type Expected =
  | {
      kind: 'stored';
      status: 201 | 200;
      version: number;
      events: { id: string; status: string; version: number; position?: number }[];
    }
  | { kind: 'problem'; status: number; type: string; field?: string; currentVersion?: number }
  /** One of a pair that races: checked as a pair. */
  | { kind: 'raced' };

interface Planned {
  name: string;
  operationId: string;
  body: string;
  contentType: string;
  ifMatch?: string;
  expected: Expected;
}

interface Answered extends Planned {
  response: Response;
  /** The operation's version read right after the answer (read-your-writes). */
  versionAfter: number | null;
}

const appended = (events: Event[], firstVersion: number) =>
  events.map((e, i) => ({ id: e.id, status: 'appended', version: firstVersion + i }));

/**
 * Concurrent HTTP appends are merged into shared appends (group commit); each
 * request must still get exactly the answer it would have got alone. 64
 * requests go out at once: new operations, batches, If-Match right and stale,
 * a batch whose second event conflicts, retries of stored events, invalid
 * bodies, and pairs that race on one operation or one event id.
 */
describe('concurrent HTTP appends', () => {
  let context: TestContext;
  let service: RunningApp;

  const post = (p: Pick<Planned, 'operationId' | 'body' | 'contentType' | 'ifMatch'>) => {
    const request = service.http().post(`/v1/operations/${p.operationId}/events`).set('content-type', p.contentType);
    if (p.ifMatch !== undefined) void request.set('if-match', p.ifMatch);
    return request.send(p.body);
  };

  const appendCount = async () => {
    const metric = await service.app.get(MetricsService).appendBatchSize.get();
    return metric.values.find((v) => v.metricName === 'opledger_append_batch_size_count')?.value ?? 0;
  };

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, {
      INGEST_ENABLED: 'false',
      HTTP_BODY_LIMIT_BYTES: '65536',
      MAX_EVENT_DATA_BYTES: '4096',
    });
    // Listening, so that the 64 requests share one server (supertest otherwise starts one per request).
    await service.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await service?.close();
  });

  it('answers each of 64 concurrent requests exactly as if it had been sent alone', async () => {
    // Before the burst: 24 operations at version 2, each from one batch whose answer is kept.
    const existing = new Map<string, { events: Event[]; positions: number[] }>();
    for (let i = 0; i < 24; i += 1) {
      const operationId = `pre-${i}`;
      const events = [
        cloudEvent(operationId, 'operation.created'),
        cloudEvent(operationId, 'stage.started', { stage: 's' }),
      ];
      const response = await post({ operationId, body: JSON.stringify(events), contentType: BATCH }).expect(201);
      existing.set(operationId, {
        events,
        positions: response.body.events.map((e: { position: number }) => e.position),
      });
    }

    const planned: Planned[] = [];
    const single = (name: string, operationId: string, event: Event, expected: Expected, ifMatch?: string) =>
      planned.push({ name, operationId, body: JSON.stringify(event), contentType: CE, ifMatch, expected });
    const batch = (name: string, operationId: string, events: Event[], expected: Expected) =>
      planned.push({ name, operationId, body: JSON.stringify(events), contentType: BATCH, expected });

    // New operations: version 1, or 1..3 for a batch.
    for (let i = 0; i < 8; i += 1) {
      const event = cloudEvent(`new-${i}`, 'operation.created');
      single(`new single ${i}`, `new-${i}`, event, {
        kind: 'stored',
        status: 201,
        version: 1,
        events: appended([event], 1),
      });
    }
    for (let i = 0; i < 8; i += 1) {
      const id = `new-batch-${i}`;
      const events = [
        cloudEvent(id, 'operation.created'),
        cloudEvent(id, 'stage.started', { stage: 'a' }),
        cloudEvent(id, 'stage.completed', { stage: 'a' }),
      ];
      batch(`new batch ${i}`, id, events, { kind: 'stored', status: 201, version: 3, events: appended(events, 1) });
    }
    // If-Match right (201, version 3) and stale (412, nothing stored), each on an operation of its own.
    for (let i = 0; i < 4; i += 1) {
      const event = cloudEvent(`pre-${i}`, 'stage.completed', { stage: 's' });
      single(
        `If-Match right ${i}`,
        `pre-${i}`,
        event,
        { kind: 'stored', status: 201, version: 3, events: appended([event], 3) },
        '"2"',
      );
    }
    for (let i = 4; i < 10; i += 1) {
      const event = cloudEvent(`pre-${i}`, 'stage.completed', { stage: 's' });
      const stale = { kind: 'problem' as const, status: 412, type: 'precondition-failed', currentVersion: 2 };
      single(`If-Match stale ${i}`, `pre-${i}`, event, stale, i % 2 === 0 ? '"1"' : 'W/"0"');
    }
    // A batch whose second event expects a version the first one has already moved past: 409, nothing stored.
    for (let i = 10; i < 14; i += 1) {
      const events = [
        cloudEvent(`pre-${i}`, 'stage.completed', { stage: 's' }),
        cloudEvent(`pre-${i}`, 'operation.completed', undefined, { expectedversion: 2 }),
      ];
      batch(`expectedversion conflict ${i}`, `pre-${i}`, events, {
        kind: 'problem',
        status: 409,
        type: 'version-conflict',
        currentVersion: 3,
      });
    }
    // Retries of stored batches: 200 with the versions and positions first assigned.
    for (let i = 14; i < 20; i += 1) {
      const { events, positions } = existing.get(`pre-${i}`)!;
      const expectedEvents = events.map((e, k) => ({
        id: e.id,
        status: 'duplicate',
        version: k + 1,
        position: positions[k],
      }));
      batch(`retry ${i}`, `pre-${i}`, events, { kind: 'stored', status: 200, version: 2, events: expectedEvents });
    }
    // A retry of one stored event mixed with a new one: 201, the old one a duplicate.
    for (let i = 20; i < 24; i += 1) {
      const { events, positions } = existing.get(`pre-${i}`)!;
      const fresh = cloudEvent(`pre-${i}`, 'stage.completed', { stage: 's' });
      batch(`retry plus new ${i}`, `pre-${i}`, [events[1], fresh], {
        kind: 'stored',
        status: 201,
        version: 3,
        events: [
          { id: events[1].id, status: 'duplicate', version: 2, position: positions[1] },
          { id: fresh.id, status: 'appended', version: 3 },
        ],
      });
    }
    // Invalid requests: refused before any append.
    const invalid = (
      name: string,
      operationId: string,
      body: string,
      contentType: string,
      expected: Expected,
      ifMatch?: string,
    ) => planned.push({ name, operationId, body, contentType, ifMatch, expected });
    const validation = (field: string): Expected => ({ kind: 'problem', status: 400, type: 'validation', field });
    invalid(
      'missing time',
      'bad-0',
      JSON.stringify({ ...cloudEvent('bad-0', 'x.y'), time: undefined }),
      CE,
      validation('time'),
    );
    invalid('other subject', 'bad-1', JSON.stringify(cloudEvent('elsewhere', 'x.y')), CE, validation('subject'));
    invalid(
      'bad item in a batch',
      'bad-2',
      JSON.stringify([cloudEvent('bad-2', 'x.y'), { ...cloudEvent('bad-2', 'x.y'), specversion: '0.3' }]),
      BATCH,
      validation('[1].specversion'),
    );
    invalid('array as a single event', 'bad-3', JSON.stringify([cloudEvent('bad-3', 'x.y')]), CE, validation('(body)'));
    invalid(
      'bad If-Match',
      'bad-4',
      JSON.stringify(cloudEvent('bad-4', 'x.y')),
      CE,
      validation('If-Match'),
      'version-3',
    );
    invalid('malformed JSON', 'bad-5', '{"specversion":', CE, { kind: 'problem', status: 400, type: 'bad-request' });
    invalid('unknown media type', 'bad-6', 'hello', 'text/plain', {
      kind: 'problem',
      status: 415,
      type: 'unsupported-media-type',
    });
    invalid(
      'data over the limit',
      'bad-7',
      JSON.stringify(cloudEvent('bad-7', 'x.y', { blob: 'x'.repeat(5000) })),
      CE,
      { kind: 'problem', status: 413, type: 'payload-too-large', field: 'data' },
    );
    expect(planned).toHaveLength(48);

    // Pairs that race: two If-Match "0" on one new operation (one 201, one 412), and one event sent
    // twice at once (one 201, one 200 with the same version and position).
    const races: { operationId: string; kind: 'if-match' | 'same-id'; indexes: number[] }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const operationId = `race-${i}`;
      const first = planned.length;
      for (const name of ['a', 'b']) {
        planned.push({
          name: `race ${i}${name}`,
          operationId,
          body: JSON.stringify(cloudEvent(operationId, 'operation.created')),
          contentType: CE,
          ifMatch: '"0"',
          expected: { kind: 'raced' },
        });
      }
      races.push({ operationId, kind: 'if-match', indexes: [first, first + 1] });
    }
    for (let i = 0; i < 4; i += 1) {
      const operationId = `twin-${i}`;
      const body = JSON.stringify(cloudEvent(operationId, 'operation.created'));
      const first = planned.length;
      for (const name of ['a', 'b']) {
        planned.push({
          name: `twin ${i}${name}`,
          operationId,
          body,
          contentType: CE,
          expected: { kind: 'raced' },
        });
      }
      races.push({ operationId, kind: 'same-id', indexes: [first, first + 1] });
    }
    expect(planned).toHaveLength(64);

    // The append-order lock is held while the burst arrives, so the first appends wait inside Postgres
    // and every other valid request queues behind them: the burst is certain to be merged.
    const appendsBefore = await appendCount();
    const blocker = new Client({ connectionString: context.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_advisory_xact_lock($1)', [APPEND_GATE_LOCK_KEY]);
    const burst = Promise.all(
      planned.map(async (p) => {
        const response = await post(p);
        let versionAfter: number | null = null;
        if (response.status === 201 || response.status === 200) {
          versionAfter = (await service.http().get(`/v1/operations/${p.operationId}`).expect(200)).body.version;
        }
        return { ...p, response, versionAfter };
      }),
    );
    const coalescer = service.app.get(RequestAppendCoalescer);
    try {
      await waitFor('the 56 valid requests to reach the coalescer', () => coalescer.pending === 56);
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const answered: Answered[] = await burst;
    const appends = (await appendCount()) - appendsBefore;

    for (const a of answered) {
      const { response, expected } = a;
      if (expected.kind === 'raced') continue;
      expect({ name: a.name, status: response.status }).toEqual({ name: a.name, status: expected.status });
      if (expected.kind === 'stored') {
        expect(response.body).toMatchObject({
          operationId: a.operationId,
          version: expected.version,
          events: expected.events,
        });
        expect(response.headers.etag).toBe(`"${expected.version}"`);
        expect(a.versionAfter).toBeGreaterThanOrEqual(expected.version);
      } else {
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body.type).toBe(`https://opledger.dev/problems/${expected.type}`);
        if (expected.field !== undefined) expect(response.body.field).toBe(expected.field);
        if (expected.currentVersion !== undefined) expect(response.body.currentVersion).toBe(expected.currentVersion);
      }
    }
    for (const race of races) {
      const [a, b] = race.indexes.map((i) => answered[i].response);
      const [won, lost] = a.status === 201 ? [a, b] : [b, a];
      expect(won.status).toBe(201);
      expect(won.body.events).toMatchObject([{ status: 'appended', version: 1 }]);
      if (race.kind === 'if-match') {
        expect(lost.status).toBe(412);
        expect(lost.body.currentVersion).toBe(1);
      } else {
        expect(lost.status).toBe(200);
        expect(lost.body.events).toEqual(won.body.events.map((e: object) => ({ ...e, status: 'duplicate' })));
      }
    }

    // The log holds exactly what was answered as stored, at the versions and positions answered.
    const storedAnswers = answered.filter((a) => a.response.status === 201);
    const positions = storedAnswers.flatMap((a) =>
      a.response.body.events
        .filter((e: { status: string }) => e.status === 'appended')
        .map((e: { position: number }) => e.position),
    );
    expect(new Set(positions).size).toBe(positions.length);
    const operations = [...new Set(answered.map((a) => a.operationId))];
    for (const operationId of operations) {
      const history = await service.http().get(`/v1/operations/${operationId}/events`);
      const logged =
        history.status === 200
          ? history.body.events.map((e: { id: string; version: number; position: number }) => [
              e.id,
              e.version,
              e.position,
            ])
          : [];
      const before = existing.get(operationId);
      const expectedLog = [
        ...(before ? before.events.map((e, k) => [e.id, k + 1, before.positions[k]]) : []),
        ...storedAnswers
          .filter((a) => a.operationId === operationId)
          .flatMap((a) =>
            a.response.body.events
              .filter((e: { status: string }) => e.status === 'appended')
              .map((e: { id: string; version: number; position: number }) => [e.id, e.version, e.position]),
          ),
      ];
      expect({ operationId, logged }).toEqual({ operationId, logged: expectedLog });
    }
    // And the requests did share appends: the ones that were waiting on the lock, then the rest.
    expect(appends).toBeLessThanOrEqual(4);
  });
});
