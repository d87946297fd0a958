import { Client } from 'pg';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { EventStore } from '../../src/event-store/event-store.service';
import { STORED_EVENT_COLUMNS, type StoredEventRow, toStoredEvent } from '../../src/event-store/log/stored-event-row';
import { foldEvents, type OperationState } from '../../src/projection/operation-fold';
import { ProjectionRebuilder } from '../../src/replay/projection-rebuilder';
import {
  operationEvent,
  createTestContext,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { readModelIndexes, readModelsFromLog, readModelSnapshot } from '../support/read-models';
import { waitFor } from '../support/wait-for';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const READER_KEY = 'reader-key-0123456789abcdef';
const STAGES = ['validate', 'enrich', 'store'];

/** A plausible history: created, stages started and finished, metadata, sometimes a terminal event. */
function history(operationId: string, length: number): OperationEvent[] {
  const events = [operationEvent(operationId, 'operation.created')];
  for (let i = 1; i < length; i += 1) {
    const stage = STAGES[i % STAGES.length];
    if (i % 4 === 1) events.push(operationEvent(operationId, 'stage.started', { stage }));
    else if (i % 4 === 2) events.push(operationEvent(operationId, 'stage.completed', { stage }));
    else if (i % 4 === 3) events.push(operationEvent(operationId, 'metadata.updated', { metadata: { step: i } }));
    else events.push(operationEvent(operationId, i % 8 === 0 ? 'operation.completed' : 'operation.restarted'));
  }
  return events;
}

async function seed(store: EventStore, prefix: string, operations: number, eventsEach: number): Promise<void> {
  let batch: OperationEvent[] = [];
  for (let i = 0; i < operations; i += 1) {
    batch.push(...history(`${prefix}-${String(i).padStart(4, '0')}`, eventsEach));
    if (batch.length >= 500) {
      await store.append(batch);
      batch = [];
    }
  }
  await store.append(batch);
}

interface LiveRow {
  id: string;
  version: number;
  state: OperationState;
  last_position: string;
  first_position: string | null;
}

/** What every projection row must be: the shared fold over the operation's events in the log. */
async function expectedFromLog(
  url: string,
): Promise<Map<string, { state: OperationState; first: number; last: number }>> {
  const rows = await queryDatabase<StoredEventRow>(
    url,
    `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events ORDER BY operation_id, version`,
  );
  const byOperation = new Map<string, ReturnType<typeof toStoredEvent>[]>();
  for (const row of rows) {
    const event = toStoredEvent(row);
    byOperation.set(event.operationId, [...(byOperation.get(event.operationId) ?? []), event]);
  }
  const expected = new Map<string, { state: OperationState; first: number; last: number }>();
  for (const [id, events] of byOperation) {
    const positions = events.map((e) => e.position);
    expected.set(id, {
      state: foldEvents(events)!.state,
      first: Math.min(...positions),
      last: Math.max(...positions),
    });
  }
  return expected;
}

async function expectProjectionToMatchLog(url: string): Promise<void> {
  const expected = await expectedFromLog(url);
  const live = await queryDatabase<LiveRow>(
    url,
    'SELECT id, version, state, last_position, first_position FROM operations ORDER BY id',
  );
  expect(live.map((row) => row.id)).toEqual([...expected.keys()].sort());
  for (const row of live) {
    const want = expected.get(row.id)!;
    expect({ id: row.id, version: row.version, state: row.state, last: Number(row.last_position) }).toEqual({
      id: row.id,
      version: want.state.version,
      state: want.state,
      last: want.last,
    });
    if (row.first_position !== null) expect(Number(row.first_position)).toBe(want.first);
  }
}

async function tableOid(url: string): Promise<number> {
  const [row] = await queryDatabase<{ oid: number }>(url, `SELECT 'operations'::regclass::oid::int AS oid`);
  return row.oid;
}

describe('replay: zero-downtime rebuild of the operations projection', () => {
  let context: TestContext;
  let service: RunningApp;
  let store: EventStore;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, {
      INGEST_ENABLED: 'false',
      DATABASE_POOL_SIZE: '20',
      API_KEYS: `admin:${ADMIN_KEY},reader:${READER_KEY}`,
    });
    store = service.app.get(EventStore);
    await seed(store, 'op', 1000, 6);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('rebuilds while writers append and readers read: nothing missed, no reader ever goes back', async () => {
    const hot = ['op-0000', 'op-0500', 'op-0999'];
    const oidBefore = await tableOid(context.databaseUrl);
    const readModelIndexesBefore = await readModelIndexes(context.databaseUrl);
    const indexesBefore = await queryDatabase<{ indexname: string; indexdef: string }>(
      context.databaseUrl,
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'operations' ORDER BY indexname`,
    );

    let writing = true;
    let appendedDuringRebuild = 0;
    const writer = async (w: number) => {
      for (let n = 0; writing; n += 1) {
        // Hot operations that exist, and new ones that first appear during the rebuild.
        const batch = [
          operationEvent(hot[(w + n) % hot.length], 'metadata.updated', { metadata: { writer: w, n } }),
          operationEvent(`new-${w}-${n}`, 'stage.started', { stage: 'validate' }),
        ];
        await store.append(batch);
        appendedDuringRebuild += batch.length;
      }
    };

    let reading = true;
    const regressions: string[] = [];
    let reads = 0;
    const reader = async () => {
      const seen = new Map<string, number>();
      let rowsSeen = 0;
      while (reading) {
        for (const id of hot) {
          const response = await service.http().get(`/v1/operations/${id}`).set(admin);
          if (response.status !== 200) regressions.push(`${id}: HTTP ${response.status}`);
          else if (response.body.version < (seen.get(id) ?? 0)) {
            regressions.push(`${id}: version ${response.body.version} after ${seen.get(id)}`);
          } else seen.set(id, response.body.version);
          reads += 1;
        }
        const [count] = await queryDatabase<{ rows: string }>(
          context.databaseUrl,
          'SELECT count(*) AS rows FROM operations',
        );
        if (Number(count.rows) < rowsSeen)
          regressions.push(`operations table shrank to ${count.rows} rows from ${rowsSeen}`);
        rowsSeen = Math.max(rowsSeen, Number(count.rows));
      }
    };

    const writers = [0, 1, 2, 3].map(writer);
    const reading$ = reader();
    await waitFor('writers to get going', () => appendedDuringRebuild > 20);

    const started = await service
      .http()
      .post('/v1/admin/projections/rebuild')
      .set(admin)
      .send({ pageSize: 50 })
      .expect(202);
    expect(started.body).toMatchObject({ kind: 'rebuild', status: 'running' });
    const jobId: number = started.body.jobId;
    let job: Record<string, unknown> & { status: string } = started.body;
    await waitFor('the rebuild to finish', async () => {
      job = (await service.http().get(`/v1/admin/projections/rebuild/${jobId}`).set(admin).expect(200)).body;
      return job.status !== 'running';
    });
    writing = false;
    await Promise.all(writers);
    reading = false;
    await reading$;

    expect(job).toMatchObject({ status: 'succeeded', phase: 'done', progress: { percent: 100 } });
    // Events arrived after the rebuild had fixed its horizon, and the catch-up folded them in.
    expect(job.caughtUpPosition as number).toBeGreaterThan(job.horizonPosition as number);
    expect(reads).toBeGreaterThan(10);
    expect(regressions).toEqual([]);
    // The live table really was replaced, under the names later migrations expect.
    expect(await tableOid(context.databaseUrl)).not.toBe(oidBefore);
    // Every index is back (the shadow got its secondary indexes after the bulk pass), under its old name.
    const indexes = await queryDatabase<{ indexname: string; indexdef: string }>(
      context.databaseUrl,
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'operations' ORDER BY indexname`,
    );
    expect(indexes).toEqual(indexesBefore);
    expect(indexes.map((i) => i.indexname)).toContain('operations_status_first_position_idx');
    // The read models beside it were swapped in with it, under their names, with the live triggers.
    expect(await readModelIndexes(context.databaseUrl)).toEqual(readModelIndexesBefore);
    const triggers = await queryDatabase<{ tgname: string }>(
      context.databaseUrl,
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'operations'::regclass AND NOT tgisinternal ORDER BY tgname`,
    );
    expect(triggers.map((t) => t.tgname)).toEqual([
      'operations_read_models_delete',
      'operations_read_models_insert',
      'operations_read_models_update',
    ]);
    const [definition] = await queryDatabase<{ definition_version: number; rebuilt_at: Date | null }>(
      context.databaseUrl,
      `SELECT definition_version, rebuilt_at FROM projection_definitions WHERE name = 'operations'`,
    );
    expect(definition.definition_version).toBe(1);
    expect(definition.rebuilt_at).not.toBeNull();
    // Every row, including the ones written while the rebuild ran, equals the fold of its events.
    await expectProjectionToMatchLog(context.databaseUrl);
    // So do the counters, indexes and rollups: rebuilt from the log, caught up, swapped in with the rows.
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(await readModelsFromLog(context.databaseUrl));
    // Appends keep working on the swapped-in table, and keep the swapped-in read models exact.
    await store.append([operationEvent('op-0000', 'operation.completed')]);
    await expectProjectionToMatchLog(context.databaseUrl);
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(await readModelsFromLog(context.databaseUrl));
  });

  it('resumes a cancelled rebuild from its checkpoint without folding anything twice', async () => {
    const rebuilder = service.app.get(ProjectionRebuilder);
    const oidBefore = await tableOid(context.databaseUrl);
    const stop = new AbortController();
    const first = await rebuilder.startRebuild({
      pageSize: 25,
      signal: stop.signal,
      // Cancel (like Ctrl-C in the CLI) once a few checkpoints are written.
      onProgress: (job) => {
        if (job.phase === 'bulk' && job.operationsDone >= 75) stop.abort();
      },
    });
    const cancelled = await first!.done;
    expect(cancelled).toMatchObject({ status: 'cancelled', phase: 'bulk' });
    expect(cancelled.checkpointOperationId).not.toBeNull();
    expect(cancelled.eventsDone).toBeGreaterThan(0);
    expect(cancelled.eventsDone).toBeLessThan(cancelled.eventsTotal!);
    const shadow = `operations_rebuild_${cancelled.id}`;
    const [rows] = await queryDatabase<{ n: string }>(context.databaseUrl, `SELECT count(*) AS n FROM ${shadow}`);
    expect(Number(rows.n)).toBe(cancelled.operationsDone);
    expect(await tableOid(context.databaseUrl)).toBe(oidBefore);

    // The log moves on while the job is stopped; the resumed job catches up with it.
    await store.append([
      operationEvent('op-0001', 'operation.failed', { error: 'late' }),
      operationEvent('resumed-new', 'operation.created'),
    ]);

    const resumed = await rebuilder.resume(cancelled.id, { pageSize: 25 });
    expect(resumed.job).toMatchObject({ status: 'running', runEventsStart: cancelled.eventsDone });
    const finished = await resumed.done;
    expect(finished).toMatchObject({ status: 'succeeded', phase: 'done' });
    // Each event of the horizon folded exactly once across both runs.
    expect(finished.eventsDone).toBe(finished.eventsTotal);
    expect(await tableOid(context.databaseUrl)).not.toBe(oidBefore);
    await expectProjectionToMatchLog(context.databaseUrl);
    const live = await service.http().get('/v1/operations/op-0001').set(admin).expect(200);
    expect(live.body).toMatchObject({ status: 'failed', error: 'late' });
  });

  it('cancels and resumes over the admin API, one rebuild at a time', async () => {
    // Holding the log hostage keeps the job at its first step while the test talks to it.
    const blocker = new Client({ connectionString: context.databaseUrl });
    await blocker.connect();
    let jobId: number;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE operation_events IN ACCESS EXCLUSIVE MODE');
      const started = await service.http().post('/v1/admin/projections/rebuild').set(admin).expect(202);
      jobId = started.body.jobId;
      const second = await service.http().post('/v1/admin/projections/rebuild').set(admin).expect(409);
      expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(second.body).toMatchObject({ status: 409, jobId });
      const cancel = await service.http().post(`/v1/admin/projections/rebuild/${jobId}/cancel`).set(admin).expect(202);
      expect(cancel.body).toMatchObject({ jobId, cancelRequested: true });
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const job = async () => (await service.http().get(`/v1/admin/projections/rebuild/${jobId}`).set(admin)).body;
    await waitFor('the job to stop', async () => (await job()).status === 'cancelled');

    await service.http().post(`/v1/admin/projections/rebuild/${jobId}/resume`).set(admin).expect(202);
    await waitFor('the resumed job to finish', async () => (await job()).status === 'succeeded');
    const conflict = await service.http().post(`/v1/admin/projections/rebuild/${jobId}/resume`).set(admin).expect(409);
    expect(conflict.body.detail).toContain('succeeded');
    await expectProjectionToMatchLog(context.databaseUrl);
  });

  it('guards the admin routes and validates their parameters', async () => {
    await service.http().post('/v1/admin/projections/rebuild').expect(401);
    await service
      .http()
      .post('/v1/admin/projections/rebuild')
      .set({ authorization: `Bearer ${READER_KEY}` })
      .expect(403);
    await service.http().get('/v1/admin/projections/rebuild/999999').set(admin).expect(404);
    const bad = await service.http().get('/v1/admin/projections/rebuild/abc').set(admin).expect(400);
    expect(bad.body.field).toBe('jobId');
    await service.http().post('/v1/admin/projections/rebuild').set(admin).send({ pageSize: 0 }).expect(400);
    await service.http().post('/v1/admin/projections/rebuild').set(admin).send({ shards: 2 }).expect(400);
  });

  it('says at start-up that the fold definition changed, and rebuilds with REBUILD_ON_START', async () => {
    // As if the code's fold had moved on from the definition that built the stored projection.
    await queryDatabase(context.databaseUrl, `UPDATE projection_definitions SET definition_version = 0`);
    await queryDatabase(
      context.databaseUrl,
      `UPDATE operations SET state = jsonb_set(state, '{status}', '"cancelled"') WHERE id = 'op-0002'`,
    );
    const status = await service.http().get('/v1/admin/projections').set(admin).expect(200);
    expect(status.body).toMatchObject({ builtWithDefinition: 0, codeDefinition: 1, rebuildNeeded: true });
    await service.close();

    service = await startTestApp(context, {
      INGEST_ENABLED: 'false',
      API_KEYS: `admin:${ADMIN_KEY}`,
      REBUILD_ON_START: 'true',
    });
    store = service.app.get(EventStore);
    await waitFor('the start-up rebuild', async () => {
      const body = (await service.http().get('/v1/admin/projections').set(admin).expect(200)).body;
      return body.rebuildNeeded === false && body.runningRebuild === null;
    });
    const [definition] = await queryDatabase<{ definition_version: number }>(
      context.databaseUrl,
      `SELECT definition_version FROM projection_definitions`,
    );
    expect(definition.definition_version).toBe(1);
    await expectProjectionToMatchLog(context.databaseUrl);
  });
});
