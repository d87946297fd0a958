import { EventStore } from '../../src/event-store/event-store.service';
import {
  listOperationsSql,
  NARROW_RANGE_AT_MOST,
  narrowRangeProbeSql,
} from '../../src/event-store/read-models/operation-list-sql';
import { ListOperationsQuery } from '../../src/operations/queries/list-operations.query';
import {
  operationEvent,
  createTestContext,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';

function event(subject: string, type: string, data?: Record<string, unknown>, source = 'test/producer') {
  return operationEvent(subject, type, data, { source });
}

describe('GET /v1/operations (list)', () => {
  let context: TestContext;
  let service: RunningApp;
  let store: EventStore;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false' });
    store = service.app.get(EventStore);
    // 30 operations: every third failed in stage "geo", the rest running in "geo", sources alternate.
    for (let i = 0; i < 30; i += 1) {
      const id = `list-${String(i).padStart(2, '0')}`;
      const source = i % 2 === 0 ? 'svc/even' : 'svc/odd';
      await store.append([
        event(id, 'operation.created', undefined, source),
        event(id, 'stage.started', { stage: 'geo' }, source),
        ...(i % 3 === 0
          ? [event(id, 'stage.failed', { stage: 'geo', error: 'x' }), event(id, 'operation.failed', { error: 'x' })]
          : []),
      ]);
    }
  });

  afterAll(async () => {
    await service?.close();
  });

  const list = async (query: string) => (await service.http().get(`/v1/operations?${query}`).expect(200)).body;

  it('filters by status, stage, stage status and source', async () => {
    const failed = await list('status=failed&limit=100');
    expect(failed.items).toHaveLength(10);
    expect(failed.items.every((o: { status: string }) => o.status === 'failed')).toBe(true);
    const running = await list('stage=geo&stageStatus=running&limit=100');
    expect(running.items).toHaveLength(20);
    const both = await list('status=failed,running&limit=100');
    expect(both.items).toHaveLength(30);
    const even = await list('source=svc/even&limit=100');
    expect(even.items.map((o: { id: string }) => Number(o.id.slice(5)) % 2)).toEqual(Array(15).fill(0));
    expect((await list('stage=nothing')).items).toHaveLength(0);
  });

  it('finds operations by id prefix, newest first, with the other filters', async () => {
    const ids = (body: { items: { id: string }[] }) => body.items.map((o) => o.id);
    expect(ids(await list('idPrefix=list-1'))).toEqual(Array.from({ length: 10 }, (_, i) => `list-1${9 - i}`));
    expect(ids(await list('idPrefix=list-2&status=failed'))).toEqual(['list-27', 'list-24', 'list-21']);
    expect(ids(await list('idPrefix=list-09'))).toEqual(['list-09']);
    // Byte order: `list-1` must not match `list-2…`, and a prefix may end on any allowed character.
    expect(ids(await list('idPrefix=list-'))).toHaveLength(30);
    expect((await list('idPrefix=lisz')).items).toEqual([]);
    const page = await list('idPrefix=list-1&limit=4');
    expect(ids(await list(`idPrefix=list-1&limit=4&cursor=${page.nextCursor}`))).toEqual([
      'list-15',
      'list-14',
      'list-13',
      'list-12',
    ]);
    const bad = await service.http().get('/v1/operations?idPrefix=a%25b').expect(400);
    expect(bad.body.field).toBe('idPrefix');
  });

  it('filters by updatedAfter / updatedBefore', async () => {
    const all = (await list('limit=100')).items as { updatedAt: string }[];
    const times = all.map((o) => o.updatedAt).sort();
    const middle = times[15];
    const after = await list(`updatedAfter=${middle}&limit=100`);
    const before = await list(`updatedBefore=${middle}&limit=100`);
    expect(after.items.length + before.items.length).toBe(29);
  });

  it('pages newest first with a cursor, stable while new operations arrive', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const body: { items: { id: string }[]; nextCursor: string | null } = await list(
        `limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...body.items.map((o) => o.id));
      cursor = body.nextCursor;
      // New operations between pages must neither shift nor repeat the ones still to come.
      await store.append([event(`list-new-${page}`, 'operation.created')]);
      page += 1;
    } while (cursor !== null);
    const expected = Array.from({ length: 30 }, (_, i) => `list-${String(29 - i).padStart(2, '0')}`);
    expect(seen).toEqual(expected);
  });

  it('refuses stageStatus without stage, bad statuses and forged cursors', async () => {
    expect((await service.http().get('/v1/operations?stageStatus=running').expect(400)).body.field).toBe('stageStatus');
    expect((await service.http().get('/v1/operations?status=sleeping').expect(400)).body.field).toBe('status');
    expect((await service.http().get('/v1/operations?cursor=forged').expect(400)).body.field).toBe('cursor');
    expect((await service.http().get('/v1/operations?limit=501').expect(400)).body.field).toBe('limit');
  });

  it('uses an index for every filter (EXPLAIN on a table large enough for the planner to care)', async () => {
    await queryDatabase(
      context.databaseUrl,
      `INSERT INTO operations (id, version, status, state, memo, created_at, updated_at, last_position, first_position)
       SELECT 'bulk-' || g, 1, (ARRAY['pending','running','succeeded','failed'])[1 + g % 4],
              jsonb_build_object('stages', jsonb_build_object('s' || (g % 50), jsonb_build_object('status', 'running'))),
              '{}', now(), now() - (g || ' seconds')::interval, 100000 + g, 100000 + g
       FROM generate_series(1, 20000) AS g`,
    );
    await queryDatabase(context.databaseUrl, 'ANALYZE operations');
    await queryDatabase(context.databaseUrl, 'ANALYZE operation_events');
    const filters = [
      { statuses: ['failed'], stage: null, stageStatus: null, source: null, updatedAfter: null, updatedBefore: null },
      { statuses: [], stage: 's7', stageStatus: 'running', source: null, updatedAfter: null, updatedBefore: null },
      { statuses: [], stage: 's7', stageStatus: null, source: null, updatedAfter: null, updatedBefore: null },
      { statuses: [], stage: null, stageStatus: null, source: 'svc/odd', updatedAfter: null, updatedBefore: null },
      {
        statuses: [],
        stage: null,
        stageStatus: null,
        source: null,
        updatedAfter: null,
        updatedBefore: '2000-01-01T00:00:00.000000Z',
      },
      { statuses: [], stage: null, stageStatus: null, source: null, updatedAfter: null, updatedBefore: null },
      {
        statuses: [],
        stage: null,
        stageStatus: null,
        source: null,
        updatedAfter: null,
        updatedBefore: null,
        idPrefix: 'bulk-1234',
      },
    ] as const;
    for (const filter of filters) {
      const { sql, params } = listOperationsSql(
        new ListOperationsQuery({ ...filter, statuses: [...filter.statuses] }, 150_000, 50),
      );
      const plan = (await queryDatabase<{ 'QUERY PLAN': string }>(context.databaseUrl, `EXPLAIN ${sql}`, params))
        .map((row) => row['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(/Index Scan|Index Only Scan|Bitmap Index Scan/);
      expect(plan).not.toMatch(/Seq Scan on operations/);
    }
  });
  it('takes a narrow range from its own index, not a scan past every newer operation, with the same pages', async () => {
    // Runs on the 20,000 bulk operations of the test above: bulk-g was updated g seconds before its
    // insert and created at position 100000 + g, so a window in the middle of the update times holds
    // operations from the middle of the list order, behind 10,000 newer ones.
    const [{ from, to }] = await queryDatabase<{ from: string; to: string }>(
      context.databaseUrl,
      `SELECT to_char((SELECT updated_at FROM operations WHERE id = 'bulk-10040') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS from,
              to_char((SELECT updated_at FROM operations WHERE id = 'bulk-9960') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS to`,
    );
    const none = {
      statuses: [],
      stage: null,
      stageStatus: null,
      source: null,
      updatedAfter: null,
      updatedBefore: null,
    };
    const middle = { ...none, updatedAfter: from, updatedBefore: to };
    const filters = [
      middle,
      { ...middle, statuses: ['failed' as const] },
      { ...middle, stage: 's10' },
      { ...middle, stage: 's10', stageStatus: 'running' as const },
      { ...middle, stage: 's10', stageStatus: 'failed' as const },
      { ...middle, source: 'svc/odd' },
      { ...none, idPrefix: 'bulk-1234' },
      { ...none, idPrefix: 'bulk-1234', statuses: ['pending' as const, 'running' as const] },
      { ...none, updatedAfter: from },
    ];
    const pageOf = async (query: ListOperationsQuery, narrow: boolean) => {
      const { sql, params } = listOperationsSql(query, narrow);
      const rows = await queryDatabase<{ state: { id: string }; first_position: string }>(
        context.databaseUrl,
        sql,
        params,
      );
      return rows.map((row) => `${row.state.id}@${row.first_position}`);
    };
    const narrowCounts: number[] = [];
    for (const filter of filters) {
      for (const [cursor, limit] of [
        [null, 10],
        [110_000, 10],
        [null, 200],
      ] as const) {
        const query = new ListOperationsQuery(filter, cursor, limit);
        const probe = narrowRangeProbeSql(query)!;
        const [{ n }] = await queryDatabase<{ n: number }>(context.databaseUrl, probe.sql, probe.params);
        narrowCounts.push(n);
        if (n > NARROW_RANGE_AT_MOST) continue;
        expect(await pageOf(query, true)).toEqual(await pageOf(query, false));
      }
    }
    // bulk-9961..bulk-10039 are inside the window (its ends excluded), those before the cursor (position
    // 110,000) are bulk-9961..bulk-9999; 11 ids start with bulk-1234; updatedAfter alone is wide.
    expect(narrowCounts.slice(0, 3)).toEqual([79, 39, 79]);
    expect(narrowCounts.slice(18, 21)).toEqual([11, 1, 11]); // before the cursor: bulk-1234 alone
    expect(narrowCounts[24]).toBeGreaterThan(NARROW_RANGE_AT_MOST);

    const { sql, params } = listOperationsSql(new ListOperationsQuery(middle, null, 50), true);
    const plan = (await queryDatabase<{ 'QUERY PLAN': string }>(context.databaseUrl, `EXPLAIN ${sql}`, params))
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    expect(plan).toMatch(/operations_updated_at_idx/);
    expect(plan).not.toMatch(/operations_first_position_idx|Seq Scan on operations/);

    // And through the API, which probes and takes the narrow path: the same states as the scan finds.
    const listed = await list(`updatedAfter=${from}&updatedBefore=${to}&limit=100`);
    const scanned = listOperationsSql(new ListOperationsQuery(middle, null, 100), false);
    const states = await queryDatabase<{ state: unknown }>(context.databaseUrl, scanned.sql, scanned.params);
    expect(listed.items).toHaveLength(79);
    expect(listed.items).toEqual(states.map((row) => row.state));
  });
});
