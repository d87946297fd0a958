import {
  cloudEvent,
  createTestContext,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';

const CE = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

describe('REST API', () => {
  let context: TestContext;
  let service: RunningApp;

  const post = (id: string, body: unknown, type = CE) =>
    service.http().post(`/v1/operations/${id}/events`).set('content-type', type).send(JSON.stringify(body));

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, {
      INGEST_ENABLED: 'false',
      HTTP_BODY_LIMIT_BYTES: '65536',
      MAX_EVENT_DATA_BYTES: '4096',
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  describe('POST /v1/operations/{id}/events', () => {
    it('appends one event (201) and a read right after sees it', async () => {
      const event = cloudEvent('http-1', 'operation.created', { metadata: { a: 1 } });
      const created = await post('http-1', event).expect(201);
      expect(created.body).toMatchObject({
        operationId: 'http-1',
        version: 1,
        events: [{ id: event.id, status: 'appended', version: 1 }],
      });
      expect(created.headers.etag).toBe('"1"');
      expect(created.headers.location).toBe('/v1/operations/http-1');
      const state = await service.http().get('/v1/operations/http-1').expect(200);
      expect(state.body.version).toBe(1);
    });

    it('appends a batch in order and answers an idempotent retry with 200 and the same versions', async () => {
      const batch = [
        cloudEvent('http-2', 'operation.created'),
        cloudEvent('http-2', 'stage.started', { stage: 's' }),
        cloudEvent('http-2', 'stage.completed', { stage: 's' }),
      ];
      const first = await post('http-2', batch, BATCH).expect(201);
      expect(first.body.events.map((e: { version: number }) => e.version)).toEqual([1, 2, 3]);
      const retry = await post('http-2', batch, BATCH).expect(200);
      expect(retry.body.events).toEqual(first.body.events.map((e: object) => ({ ...e, status: 'duplicate' })));
      const history = await service.http().get('/v1/operations/http-2/events').expect(200);
      expect(history.body.events).toHaveLength(3);
    });

    it('accepts application/json for a single event', async () => {
      await post('http-3', cloudEvent('http-3', 'operation.created'), 'application/json').expect(201);
    });

    it('answers If-Match on a stale version with 412 and the current version, storing nothing', async () => {
      await post('http-4', cloudEvent('http-4', 'operation.created')).expect(201);
      const stale = await post('http-4', cloudEvent('http-4', 'stage.started', { stage: 'x' }))
        .set('if-match', '"0"')
        .expect(412);
      expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(stale.body).toMatchObject({ status: 412, currentVersion: 1 });
      await post('http-4', cloudEvent('http-4', 'stage.started', { stage: 'x' }))
        .set('if-match', '"1"')
        .expect(201);
    });

    it('refuses a whole batch when one event conflicts on expectedversion (409)', async () => {
      const batch = [
        cloudEvent('http-5', 'operation.created'),
        cloudEvent('http-5', 'stage.started', { stage: 'x' }, { expectedversion: 5 }),
      ];
      const conflict = await post('http-5', batch, BATCH).expect(409);
      expect(conflict.body).toMatchObject({ status: 409, currentVersion: 1 });
      await service.http().get('/v1/operations/http-5').expect(404);
    });

    it.each([
      ['a subject that differs from the path', cloudEvent('other', 'x.y'), CE, 'subject'],
      ['a missing time', { ...cloudEvent('http-6', 'x.y'), time: undefined }, CE, 'time'],
      ['a batch that is not an array', cloudEvent('http-6', 'x.y'), BATCH, '(body)'],
      ['an array under the single-event type', [cloudEvent('http-6', 'x.y')], CE, '(body)'],
      [
        'a bad event inside a batch',
        [cloudEvent('http-6', 'x.y'), { ...cloudEvent('http-6', 'x.y'), specversion: '0.3' }],
        BATCH,
        '[1].specversion',
      ],
    ])('refuses %s with 400 naming the field', async (_what, body, type, field) => {
      const response = await post('http-6', body, type).expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.field).toBe(field);
      expect(response.body.detail.length).toBeGreaterThan(10);
    });

    it('refuses malformed JSON with 400, an unknown media type with 415, a large body with 413', async () => {
      const malformed = await service
        .http()
        .post('/v1/operations/http-7/events')
        .set('content-type', CE)
        .send('{"specversion":')
        .expect(400);
      expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
      const unsupported = await service
        .http()
        .post('/v1/operations/http-7/events')
        .set('content-type', 'text/plain')
        .send('hello')
        .expect(415);
      expect(unsupported.body.status).toBe(415);
      const huge = await post('http-7', cloudEvent('http-7', 'x.y', { blob: 'x'.repeat(70_000) })).expect(413);
      expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
      const bigData = await post('http-7', cloudEvent('http-7', 'x.y', { blob: 'x'.repeat(5000) })).expect(413);
      expect(bigData.body.field).toBe('data');
      await service.http().get('/v1/operations/http-7').expect(404);
    });
  });

  describe('GET /v1/operations/{id}', () => {
    it('sends the version as ETag and answers If-None-Match with 304', async () => {
      const first = await service.http().get('/v1/operations/http-2').expect(200);
      expect(first.headers.etag).toBe('"3"');
      const cached = await service.http().get('/v1/operations/http-2').set('if-none-match', '"3"').expect(304);
      expect(cached.text).toBe('');
      await service.http().get('/v1/operations/http-2').set('if-none-match', '"2"').expect(200);
    });

    it('travels in time by version and by instant, with the same fold as the live state', async () => {
      const id = 'travel-1';
      await post(id, cloudEvent(id, 'operation.created')).expect(201);
      await post(id, cloudEvent(id, 'stage.started', { stage: 'a' })).expect(201);
      const [{ at }] = await queryDatabase<{ at: string }>(context.databaseUrl, 'SELECT clock_timestamp()::text AS at');
      await post(id, cloudEvent(id, 'stage.completed', { stage: 'a' })).expect(201);
      await post(id, cloudEvent(id, 'operation.completed', { result: { ok: true } })).expect(201);

      const live = (await service.http().get(`/v1/operations/${id}`).expect(200)).body;
      expect(live).toMatchObject({ version: 4, status: 'succeeded', result: { ok: true } });
      expect((await service.http().get(`/v1/operations/${id}?atVersion=4`).expect(200)).body).toEqual(live);
      const v2 = (await service.http().get(`/v1/operations/${id}?atVersion=2`).expect(200)).body;
      expect(v2).toMatchObject({ version: 2, status: 'running', stages: { a: { status: 'running' } } });
      const asOf = (
        await service
          .http()
          .get(`/v1/operations/${id}`)
          .query({ asOf: new Date(at).toISOString() })
          .expect(200)
      ).body;
      expect(asOf).toEqual(v2);
      await service.http().get(`/v1/operations/${id}?asOf=1999-01-01T00:00:00Z`).expect(404);
      const bad = await service.http().get(`/v1/operations/${id}?asOf=yesterday`).expect(400);
      expect(bad.body.field).toBe('asOf');
    });

    it('refuses unknown query parameters and bad ids with 400', async () => {
      const unknown = await service.http().get('/v1/operations/http-1?verbose=1').expect(400);
      expect(unknown.body.detail).toContain('verbose');
      const badId = await service
        .http()
        .get(`/v1/operations/${encodeURIComponent('bad id!')}`)
        .expect(400);
      expect(badId.body.field).toBe('id');
    });
  });

  describe('GET /v1/operations/{id}/events', () => {
    it('pages the history in version order and says where the next page starts', async () => {
      const page1 = await service.http().get('/v1/operations/travel-1/events?limit=3').expect(200);
      expect(page1.body.events.map((e: { version: number }) => e.version)).toEqual([1, 2, 3]);
      expect(page1.body.nextFromVersion).toBe(4);
      const page2 = await service.http().get('/v1/operations/travel-1/events?limit=3&fromVersion=4').expect(200);
      expect(page2.body.events.map((e: { version: number }) => e.version)).toEqual([4]);
      expect(page2.body.nextFromVersion).toBeNull();
      await service.http().get('/v1/operations/travel-1/events?limit=1001').expect(400);
    });
  });

  describe('GET /v1/operations/{id}/timeline', () => {
    it('lists stages by first start with durations, attempts and what is running', async () => {
      const id = 'timeline-1';
      const at = (s: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, s)).toISOString();
      const events = [
        cloudEvent(id, 'operation.created', undefined, { time: at(0) }),
        cloudEvent(id, 'stage.started', { stage: 'fetch' }, { time: at(1) }),
        cloudEvent(id, 'stage.failed', { stage: 'fetch', error: 'timeout' }, { time: at(3) }),
        cloudEvent(id, 'stage.started', { stage: 'fetch' }, { time: at(4) }),
        cloudEvent(id, 'stage.completed', { stage: 'fetch' }, { time: at(6) }),
        cloudEvent(id, 'stage.started', { stage: 'geo' }, { time: at(7) }),
        cloudEvent(id, 'stage.started', { stage: 'score' }, { time: at(8) }),
        cloudEvent(id, 'stage.completed', { stage: 'score' }, { time: at(9) }),
      ];
      await post(id, events, BATCH).expect(201);
      const timeline = (await service.http().get(`/v1/operations/${id}/timeline`).expect(200)).body;
      expect(timeline.stages.map((s: { stage: string }) => s.stage)).toEqual(['fetch', 'geo', 'score']);
      expect(timeline.stages[0]).toMatchObject({ attempts: 2, status: 'succeeded', durationMs: 5000, running: false });
      expect(timeline.stages[2]).toMatchObject({ attempts: 1, durationMs: 1000 });
      expect(timeline.runningStages).toEqual(['geo']);
      expect(timeline.status).toBe('running');
      expect(timeline.elapsedMs).toBeGreaterThan(9000);
    });
  });

  describe('GET /v1/stats', () => {
    it('counts operations by status, in progress, and running stages', async () => {
      const stats = (await service.http().get('/v1/stats').expect(200)).body;
      const [{ total }] = await queryDatabase<{ total: string }>(
        context.databaseUrl,
        'SELECT count(*) AS total FROM operations',
      );
      expect(stats.total).toBe(Number(total));
      expect(stats.byStatus.succeeded).toBeGreaterThanOrEqual(1);
      expect(stats.inProgress).toBe(stats.byStatus.pending + stats.byStatus.running);
      expect(stats.runningByStage.geo).toBeGreaterThanOrEqual(1);
    });
  });
});
