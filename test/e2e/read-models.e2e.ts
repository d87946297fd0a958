import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/event-store/database-options';
import { EventStore } from '../../src/event-store/event-store.service';
import { runMigrations } from '../../src/event-store/run-migrations';
import { foldEvents } from '../../src/projection/operation-fold';
import { OperationRebuilder } from '../../src/replay/operation-rebuild';
import { ProjectionRebuilder } from '../../src/replay/projection-rebuilder';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  createTestDatabase,
  operationEvent,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { readModelsFromLog, readModelSnapshot } from '../support/read-models';
import { waitFor } from '../support/wait-for';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const OPERATIONS = 40;

/**
 * A pipeline's events for one operation, relative to `base` (ms): parse, then
 * ocr (every third operation fails once and is retried) in parallel with
 * thumbnail, then publish; every ocr attempt takes exactly 3 s.
 */
function pipeline(id: string, base: number, index: number) {
  const at = (offset: number) => ({ time: new Date(base + offset).toISOString() });
  const events = [
    cloudEvent(id, 'operation.created', undefined, at(0)),
    cloudEvent(id, 'stage.started', { stage: 'parse' }, at(100)),
    cloudEvent(id, 'stage.completed', { stage: 'parse' }, at(1100)),
    cloudEvent(id, 'stage.started', { stage: 'ocr' }, at(2 * SECOND)),
    cloudEvent(id, 'stage.started', { stage: 'thumbnail' }, at(2 * SECOND)),
  ];
  let ocrEnd = 5 * SECOND;
  if (index % 3 === 0) {
    events.push(cloudEvent(id, 'stage.failed', { stage: 'ocr', error: 'timeout' }, at(5 * SECOND)));
    events.push(cloudEvent(id, 'stage.started', { stage: 'ocr' }, at(6 * SECOND)));
    ocrEnd = 9 * SECOND;
  }
  events.push(cloudEvent(id, 'stage.completed', { stage: 'ocr' }, at(ocrEnd)));
  // Every fourth operation is left with thumbnail running; the others finish.
  if (index % 4 !== 0) {
    events.push(cloudEvent(id, 'stage.completed', { stage: 'thumbnail' }, at(ocrEnd + 500)));
    events.push(cloudEvent(id, 'stage.started', { stage: 'publish' }, at(ocrEnd + SECOND)));
    events.push(cloudEvent(id, 'stage.completed', { stage: 'publish' }, at(ocrEnd + 2 * SECOND)));
    events.push(cloudEvent(id, 'operation.completed', { result: { ok: true } }, at(ocrEnd + 2 * SECOND + 1)));
  }
  return events;
}

describe('read models: exact counters, flat stage filters and stage analytics', () => {
  let context: TestContext;
  let service: RunningApp;
  let producer: Producer;
  let distinctEvents = 0;
  const now = Date.now();

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context);
    producer = await connectProducer();

    // Spread over the last ten minutes, ending two minutes ago.
    const messages = [];
    for (let i = 0; i < OPERATIONS; i += 1) {
      const events = pipeline(`doc-${i}`, now - 12 * MINUTE + i * 15 * SECOND, i);
      distinctEvents += events.length;
      messages.push(...events, ...(i % 5 === 0 ? [events[3]] : [])); // some redelivered
    }
    // A late stage, 40 minutes in the past, recorded last: it must land in its own minute.
    const late = [
      cloudEvent(
        'doc-late',
        'stage.started',
        { stage: 'archive' },
        { time: new Date(now - 40 * MINUTE).toISOString() },
      ),
      cloudEvent(
        'doc-late',
        'stage.completed',
        { stage: 'archive' },
        { time: new Date(now - 40 * MINUTE + 800).toISOString() },
      ),
    ];
    distinctEvents += late.length;
    await producer.send({
      topic: context.topic,
      messages: messages.map((event) => ({ key: event.subject, value: JSON.stringify(event) })),
    });
    await producer.send({
      topic: context.topic,
      messages: late.map((event) => ({ key: event.subject, value: JSON.stringify(event) })),
    });
    await waitFor('every event stored', async () => {
      const [row] = await queryDatabase<{ n: string }>(
        context.databaseUrl,
        'SELECT count(*) AS n FROM operation_events',
      );
      return Number(row.n) === distinctEvents;
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.close();
  });

  it('keeps every counter, index and rollup equal to what the log says, through Kafka ingest', async () => {
    const snapshot = await readModelSnapshot(context.databaseUrl);
    expect(snapshot).toEqual(await readModelsFromLog(context.databaseUrl));
    // Not vacuous: the workload reaches every kind of row.
    expect(snapshot.statusCounts).toEqual({ succeeded: 30, running: 11 });
    expect(snapshot.runningByStage).toEqual({ thumbnail: 10 });
    expect(Object.keys(snapshot.stageMinutes).length).toBeGreaterThan(10);

    const stats = (await service.http().get('/v1/stats').expect(200)).body;
    expect(stats).toEqual({
      total: 41,
      byStatus: { pending: 0, running: 11, succeeded: 30, failed: 0, cancelled: 0 },
      inProgress: 11,
      runningByStage: { thumbnail: 10 },
    });
  });

  it('answers stage analytics per window, with durations, failure rates and late events in their minute', async () => {
    const hour = (await service.http().get('/v1/stats/stages?window=1h').expect(200)).body;
    const ocr = hour.stages.find((s: { stage: string }) => s.stage === 'ocr');
    const retried = Math.ceil(OPERATIONS / 3);
    expect(ocr).toMatchObject({ started: OPERATIONS + retried, succeeded: OPERATIONS, failed: retried, running: 0 });
    expect(ocr.failureRate).toBeCloseTo(retried / (OPERATIONS + retried), 6);
    // Every ocr attempt (failed or not) took 3 s: the histogram reports within 9 %.
    expect(ocr.durationMs.count).toBe(OPERATIONS + retried);
    for (const p of ['p50', 'p95', 'p99']) expect(Math.abs(ocr.durationMs[p] - 3000) / 3000).toBeLessThan(0.09);
    const thumbnail = hour.stages.find((s: { stage: string }) => s.stage === 'thumbnail');
    expect(thumbnail).toMatchObject({ started: OPERATIONS, succeeded: 30, running: 10 });
    expect(hour.stages.map((s: { stage: string }) => s.stage)).toContain('archive');

    // The late stage is 40 minutes old: outside 15 minutes, inside the hour, in the minute it happened.
    const quarter = (await service.http().get('/v1/stats/stages?window=15m').expect(200)).body;
    expect(quarter.stages.map((s: { stage: string }) => s.stage)).not.toContain('archive');
    expect(quarter.stages.find((s: { stage: string }) => s.stage === 'ocr').started).toBe(OPERATIONS + retried);
    const lateMinute = new Date(now - 40 * MINUTE).toISOString().slice(0, 16);
    const index = hour.series.minutes.findIndex((m: string) => m.startsWith(lateMinute));
    expect(index).toBeGreaterThanOrEqual(0);
    expect(hour.series.stages.archive.started[index]).toBe(1);
    expect(hour.series.stages.archive.succeeded[index]).toBe(1);
    // Events recorded in the last hour, by the minute they were recorded: all of them.
    expect(hour.series.events.reduce((a: number, b: number) => a + b, 0)).toBe(distinctEvents);

    const day = (await service.http().get('/v1/stats/stages?window=24h').expect(200)).body;
    expect(day.stages.find((s: { stage: string }) => s.stage === 'archive')).toMatchObject({
      started: 1,
      succeeded: 1,
    });

    const bad = await service.http().get('/v1/stats/stages?window=2h').expect(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.detail).toContain('window');
  });

  it('filters by stage, stage status and source through their own indexes, in keyset pages', async () => {
    const page = (await service.http().get('/v1/operations?stage=thumbnail&stageStatus=running&limit=4').expect(200))
      .body;
    expect(page.items).toHaveLength(4);
    const all: string[] = [];
    let url = '/v1/operations?stage=thumbnail&stageStatus=running&limit=4';
    for (;;) {
      const body = (await service.http().get(url).expect(200)).body;
      all.push(...body.items.map((o: { id: string }) => o.id));
      if (!body.nextCursor) break;
      url = `/v1/operations?stage=thumbnail&stageStatus=running&limit=4&cursor=${body.nextCursor}`;
    }
    expect(all.sort()).toEqual(
      Array.from({ length: OPERATIONS }, (_, i) => i)
        .filter((i) => i % 4 === 0)
        .map((i) => `doc-${i}`)
        .sort(),
    );
    const bySource = (await service.http().get('/v1/operations?source=test%2Fproducer&limit=100').expect(200)).body;
    expect(bySource.items).toHaveLength(41);
    const none = (await service.http().get('/v1/operations?source=nobody&limit=100').expect(200)).body;
    expect(none.items).toHaveLength(0);
  });

  it('leaves the read models identical after a full rebuild and repairs them with a single-operation rebuild', async () => {
    const live = await readModelSnapshot(context.databaseUrl);
    const rebuilder = service.app.get(ProjectionRebuilder);
    const handle = (await rebuilder.startRebuild({ pageSize: 7 }))!;
    expect((await handle.done).status).toBe('succeeded');
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(live);

    // A corrupted row drags its counters and stage rows with it (they follow the rows)…
    await queryDatabase(
      context.databaseUrl,
      `UPDATE operations SET status = 'failed', state = jsonb_set(state, '{stages,ocr,status}', '"running"')
       WHERE id = 'doc-1'`,
    );
    expect(await readModelSnapshot(context.databaseUrl)).not.toEqual(live);
    // …and rebuilding that one operation puts everything back as ingest had it.
    await service.app.get(OperationRebuilder).rebuild('doc-1');
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(live);
  });

  it('verify finds a drifted counter and rollup, and a full rebuild repairs them', async () => {
    const rebuilder = service.app.get(ProjectionRebuilder);
    const verify = async () => (await (await rebuilder.startVerify()).done).report!;
    expect((await verify()).readModels).toEqual({ differences: 0, examples: [], unsettled: false });

    await queryDatabase(
      context.databaseUrl,
      `UPDATE operation_status_counts SET count = count + 2 WHERE status = 'running'`,
    );
    await queryDatabase(
      context.databaseUrl,
      `UPDATE stage_minute_stats SET started = started + 1 WHERE stage = 'archive'`,
    );
    const report = (await verify()).readModels!;
    expect(report.differences).toBe(2);
    expect(report.examples.join('\n')).toContain('operation_status_counts running: 13 stored, 11 expected');
    expect(report.examples.join('\n')).toMatch(/stage_minute_stats \S+ archive started: 2 live, 1 from the log/);

    expect((await (await rebuilder.startRebuild())!.done).status).toBe('succeeded');
    expect((await verify()).readModels).toEqual({ differences: 0, examples: [], unsettled: false });
    expect(await readModelSnapshot(context.databaseUrl)).toEqual(await readModelsFromLog(context.databaseUrl));
  });
});

describe('read models rebuilt from the log alone', () => {
  it('a full rebuild fills the source index even when the log was loaded without the append (a restore by COPY)', async () => {
    const context = await createTestContext();
    const service = await startTestApp(context, { INGEST_ENABLED: 'false' });
    try {
      const store = service.app.get(EventStore);
      await store.append([
        operationEvent('copied-1', 'stage.started', { stage: 'ocr' }, { source: 'svc/ocr' }),
        operationEvent('copied-1', 'stage.completed', { stage: 'ocr' }, { source: 'svc/ocr-worker' }),
        operationEvent('copied-2', 'operation.created', undefined, { source: 'svc/api' }),
      ]);
      // As if the log had been restored with COPY: the index the append writes is empty.
      await queryDatabase(context.databaseUrl, 'DELETE FROM operation_sources');
      const rebuilder = service.app.get(ProjectionRebuilder);
      const verify = (await (await rebuilder.startVerify()).done).report!.readModels!;
      expect(verify.differences).toBe(3);
      expect(verify.examples.join('\n')).toContain('operation_sources svc/ocr / copied-1');
      expect((await (await rebuilder.startRebuild())!.done).status).toBe('succeeded');
      const snapshot = await readModelSnapshot(context.databaseUrl);
      expect(snapshot.sources).toHaveLength(3);
      expect(snapshot).toEqual(await readModelsFromLog(context.databaseUrl));
    } finally {
      await service.close();
    }
  });
});

describe('read models migration', () => {
  it('backfills counters, indexes and rollups on a database that already holds events', async () => {
    const url = await createTestDatabase();
    const all = databaseOptions(url);
    const before = new DataSource({ ...all, migrations: (all.migrations as unknown[]).slice(0, 5) } as typeof all);
    await before.initialize();
    await runMigrations(before);
    // Events and projections as the previous release wrote them.
    const events = [];
    for (let i = 0; i < 12; i += 1) {
      const id = `old-${i}`;
      events.push(
        operationEvent(id, 'operation.created'),
        operationEvent(id, 'stage.started', { stage: 'ocr' }),
        ...(i % 2 === 0 ? [operationEvent(id, 'stage.failed', { stage: 'ocr' })] : []),
        operationEvent(id, 'stage.started', { stage: 'ocr' }, { source: 'svc/ocr' }),
        ...(i % 3 === 0 ? [] : [operationEvent(id, 'stage.completed', { stage: 'ocr' })]),
      );
    }
    const versions = new Map<string, number>();
    for (const event of events) {
      const version = (versions.get(event.operationId) ?? 0) + 1;
      versions.set(event.operationId, version);
      await before.query(
        `INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [event.operationId, version, event.id, event.type, event.source, event.time, event.data],
      );
    }
    for (const id of versions.keys()) {
      const { state, memo } = foldEvents(events.filter((e) => e.operationId === id))!;
      await before.query(
        `INSERT INTO operations (id, version, status, state, memo, created_at, updated_at, last_position, first_position)
         SELECT $1, $2, $3, $4, $5, $6, $7, max(position), min(position) FROM operation_events WHERE operation_id = $1`,
        [id, state.version, state.status, state, memo, state.createdAt, state.updatedAt],
      );
    }
    await before.destroy();

    const after = new DataSource(all);
    await after.initialize();
    expect(await runMigrations(after)).toEqual([
      'OperatorReadModels1764000500000',
      'EventDigests1764000600000',
      'OperationIdPrefixIndex1764000700000',
      'ParallelAppends1764000800000',
      'PlannedReadModelTriggers1764000900000',
    ]);
    await after.destroy();
    const snapshot = await readModelSnapshot(url);
    expect(snapshot).toEqual(await readModelsFromLog(url));
    expect(snapshot.statusCounts).toEqual({ running: 12 });
    expect(Object.values(snapshot.stageMinutes).length).toBeGreaterThan(0);
    expect(snapshot.sources.filter((s) => s.startsWith('svc/ocr|'))).toHaveLength(12);
  });
});
