import { Client } from 'pg';
import type { OperationEvent, StoredEvent } from '../../src/envelope/operation-event';
import { EventStore } from '../../src/event-store/event-store.service';
import { afterOperation, EventLogReader } from '../../src/event-store/log/event-log-reader';
import { ProjectionRebuilder } from '../../src/replay/projection-rebuilder';
import { readModelsFromLog, readModelSnapshot } from '../support/read-models';
import {
  createTestContext,
  operationEvent,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';

const STAGES = ['ocr', 'classify', 'store'];
const SOURCES = ['pipeline/a', 'pipeline/b', 'pipeline/c'];

/** A history whose events come from several sources, with stages started, finished and failed. */
function history(operationId: string, length: number): OperationEvent[] {
  const events = [operationEvent(operationId, 'operation.created')];
  for (let i = 1; i < length; i += 1) {
    const stage = STAGES[i % STAGES.length];
    const source = { source: SOURCES[i % SOURCES.length] };
    if (i % 5 === 1) events.push(operationEvent(operationId, 'stage.started', { stage }, source));
    else if (i % 5 === 2) events.push(operationEvent(operationId, 'stage.completed', { stage }, source));
    else if (i % 5 === 3) events.push(operationEvent(operationId, 'stage.failed', { stage, error: `e${i}` }, source));
    else if (i % 5 === 4)
      events.push(operationEvent(operationId, 'metadata.updated', { metadata: { step: i } }, source));
    else events.push(operationEvent(operationId, 'operation.restarted', undefined, source));
  }
  return events;
}

/** Every column a rebuild computes (projected_at only says when a row was written). */
const ROWS = `SELECT id, version, status, state, memo, created_at, updated_at, last_position, first_position
              FROM operations ORDER BY id`;

describe('replay: the bulk pass over parallel ranges of operation ids', () => {
  let context: TestContext;
  let service: RunningApp;
  let rebuilder: ProjectionRebuilder;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false', DATABASE_POOL_SIZE: '20' });
    const store = service.app.get(EventStore);
    rebuilder = service.app.get(ProjectionRebuilder);
    const operations: OperationEvent[][] = [];
    for (let i = 0; i < 60; i += 1) operations.push(history(`a-${String(i).padStart(4, '0')}`, 3 + (i % 7)));
    // One operation with far more events than a page or a batch.
    operations.push(history('m-big', 400));
    for (let i = 0; i < 20; i += 1) operations.push(history(`z-${String(i).padStart(4, '0')}`, 4));
    // Interleaved in the log, as concurrent producers would write them.
    const longest = Math.max(...operations.map((events) => events.length));
    for (let step = 0; step < longest; step += 40) {
      await store.append(operations.flatMap((events) => events.slice(step, step + 40)));
    }
  });

  afterAll(async () => {
    await service?.close();
  });

  it('gives the same rows and read models as one sequential pipeline, empty ranges and a long operation included', async () => {
    const sequential = await (await rebuilder.startRebuild({ workers: 1, pageSize: 7 }))!.done;
    expect(sequential).toMatchObject({ status: 'succeeded' });
    const sequentialRows = await queryDatabase(context.databaseUrl, ROWS);
    const sequentialReadModels = await readModelSnapshot(context.databaseUrl);
    expect(sequentialRows).toHaveLength(81);
    expect(sequentialReadModels).toEqual(await readModelsFromLog(context.databaseUrl));

    // Ranges: ('', a-0010], (a-0010, a-0010x] empty, (a-0010x, m-big] with the long operation last,
    // (m-big, m-big0] empty, (m-big0, y] empty, (y, zz] the z- operations, (zz, end) empty.
    const parallel = await (await rebuilder.startRebuild({
      workers: 3,
      pageSize: 7,
      splitAt: ['a-0010', 'a-0010x', 'm-big', 'm-big0', 'y', 'zz'],
    }))!.done;
    expect(parallel).toMatchObject({ status: 'succeeded' });
    expect(parallel.eventsDone).toBe(sequential.eventsDone);
    expect(parallel.operationsDone).toBe(81);
    expect(await queryDatabase(context.databaseUrl, ROWS)).toEqual(sequentialRows);
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(sequentialReadModels);
    // The pipelines wrote the rollups in their own stripes (readers add them up): three ran.
    const [stripes] = await queryDatabase<{ n: number }>(
      context.databaseUrl,
      'SELECT count(DISTINCT stripe)::int AS n FROM event_minute_counts',
    );
    expect(stripes.n).toBe(3);
    // The ranges' checkpoint table is scratch: gone with the bulk pass.
    const scratch = await queryDatabase(
      context.databaseUrl,
      `SELECT 1 FROM pg_tables WHERE tablename LIKE '%_bulk_ranges'`,
    );
    expect(scratch).toHaveLength(0);
  });

  it('resumes a cancelled parallel pass with its own ranges, each event folded once', async () => {
    const expectedRows = await queryDatabase(context.databaseUrl, ROWS);
    const expectedReadModels = await readModelSnapshot(context.databaseUrl);
    const stop = new AbortController();
    const first = await rebuilder.startRebuild({
      workers: 3,
      pageSize: 5,
      signal: stop.signal,
      onProgress: (job) => {
        if (job.phase === 'bulk' && job.operationsDone >= 20) stop.abort();
      },
    });
    const cancelled = await first!.done;
    expect(cancelled).toMatchObject({ status: 'cancelled', phase: 'bulk' });
    expect(cancelled.eventsDone).toBeGreaterThan(0);
    expect(cancelled.eventsDone).toBeLessThan(cancelled.eventsTotal!);
    const [ranges] = await queryDatabase<{ n: number; started: number }>(
      context.databaseUrl,
      `SELECT count(*)::int AS n, count(checkpoint_id)::int AS started FROM operations_rebuild_${cancelled.id}_bulk_ranges`,
    );
    expect(ranges.n).toBeGreaterThan(1);
    expect(ranges.started).toBeGreaterThan(0);

    // Resumed with one pipeline: the stored ranges are kept, each continued after its checkpoint.
    const finished = await (await rebuilder.resume(cancelled.id, { workers: 1, pageSize: 5 })).done;
    expect(finished).toMatchObject({ status: 'succeeded', phase: 'done' });
    expect(finished.eventsDone).toBe(finished.eventsTotal);
    expect(await queryDatabase(context.databaseUrl, ROWS)).toEqual(expectedRows);
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(expectedReadModels);
  });

  it('scans canonical times even from a connection that prints timestamps in another DateStyle', async () => {
    const log = service.app.get(EventLogReader);
    const head = await log.headPosition();
    const scan = async (db?: { query(sql: string, parameters?: unknown[]): Promise<unknown> }) => {
      const events: StoredEvent[] = [];
      for await (const page of log.byOperation({ after: afterOperation(null), upTo: head, pageSize: 50 }, db)) {
        events.push(...page);
      }
      return events;
    };
    const client = new Client({ connectionString: context.databaseUrl });
    await client.connect();
    try {
      await client.query(`SET DateStyle = 'SQL, DMY'`);
      const sqlStyle = await scan({ query: async (sql, parameters) => (await client.query(sql, parameters)).rows });
      const iso = await scan();
      expect(sqlStyle).toHaveLength(iso.length);
      expect(sqlStyle).toEqual(iso);
      expect(iso[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    } finally {
      await client.end();
    }
  });
});
