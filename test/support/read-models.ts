/**
 * The read models beside the projection (counters, stage and source indexes,
 * stage rollups, events per minute), read back stripe-summed, and the same
 * computed independently from the rows and the log, for tests to compare.
 */
import { Client } from 'pg';
import { foldEvents, type OperationState } from '../../src/projection/operation-fold';
import { queryDatabase } from './test-app';

export interface ReadModelSnapshot {
  statusCounts: Record<string, number>;
  runningByStage: Record<string, number>;
  stages: string[];
  sources: string[];
  /** "stage minute" → "started/succeeded/failed/skipped|bucket:count,…" */
  stageMinutes: Record<string, string>;
  stageHours: Record<string, string>;
  eventsPerMinute: Record<string, number>;
}

const MINUTE = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')`;

function histogramText(histogram: number[]): string {
  return histogram
    .map((count, bucket) => (count !== 0 ? `${bucket}:${count}` : ''))
    .filter(Boolean)
    .join(',');
}

/** Every read model as stored, with the stripes added up and zero rows left out. */
export async function readModelSnapshot(url: string): Promise<ReadModelSnapshot> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const q = async <T>(sql: string) => (await client.query(sql)).rows as T[];
    const statusCounts = Object.fromEntries(
      (
        await q<{ status: string; n: string }>(
          `SELECT status, sum(count) AS n FROM operation_status_counts GROUP BY status HAVING sum(count) <> 0`,
        )
      ).map((r) => [r.status, Number(r.n)]),
    );
    const runningByStage = Object.fromEntries(
      (
        await q<{ stage: string; n: string }>(
          `SELECT stage, sum(count) AS n FROM operation_running_stage_counts GROUP BY stage HAVING sum(count) <> 0`,
        )
      ).map((r) => [r.stage, Number(r.n)]),
    );
    const stages = (
      await q<{ row: string }>(
        `SELECT operation_id || '|' || stage || '|' || status || '|' || first_position AS row FROM operation_stages ORDER BY 1`,
      )
    ).map((r) => r.row);
    const sources = (
      await q<{ row: string }>(
        `SELECT source || '|' || operation_id || '|' || first_position AS row FROM operation_sources ORDER BY 1`,
      )
    ).map((r) => r.row);
    const rollup = async (table: string, bucket: string) => {
      const rows = await q<{ key: string; counts: string; durations: number[] }>(
        `SELECT ${MINUTE.replace('%s', bucket)} || ' ' || stage AS key,
                sum(started) || '/' || sum(succeeded) || '/' || sum(failed) || '/' || sum(skipped) AS counts,
                (SELECT array_agg(total ORDER BY n) FROM (
                   SELECT n, sum(x) AS total FROM ${table} i, unnest(i.durations) WITH ORDINALITY AS u(x, n)
                   WHERE i.${bucket} = t.${bucket} AND i.stage = t.stage GROUP BY n) h) AS durations
         FROM ${table} t GROUP BY ${bucket}, stage ORDER BY 1`,
      );
      return Object.fromEntries(
        rows
          .map((r) => [r.key, `${r.counts}|${histogramText((r.durations ?? []).map(Number))}`])
          .filter(([, value]) => value !== '0/0/0/0|'),
      );
    };
    const stageMinutes = await rollup('stage_minute_stats', 'minute');
    const stageHours = await rollup('stage_hour_stats', 'hour');
    const eventsPerMinute = Object.fromEntries(
      (
        await q<{ minute: string; n: string }>(
          `SELECT ${MINUTE.replace('%s', 'minute')} AS minute, sum(events) AS n FROM event_minute_counts
           GROUP BY minute HAVING sum(events) <> 0`,
        )
      ).map((r) => [r.minute, Number(r.n)]),
    );
    await client.query('COMMIT');
    return { statusCounts, runningByStage, stages, sources, stageMinutes, stageHours, eventsPerMinute };
  } finally {
    await client.end();
  }
}

interface LogRow {
  operation_id: string;
  version: number;
  event_id: string;
  type: string;
  source: string;
  time: string;
  recorded_minute: string;
  data: Record<string, unknown> | null;
  position: string;
}

/** Same log-linear buckets as the service, written out independently: 4 per doubling from 1 ms. */
function bucketOf(ms: number): number {
  if (ms < 1) return 0;
  return Math.min(111, 1 + Math.floor(Math.log2(ms) * 4));
}

/**
 * The read models as they must be, computed here from the log alone: the
 * projection by the shared fold, the counters and indexes from it, and the
 * rollups by a separate, naive reading of the stage rules (each finish timed
 * from its stage's latest start folded before it and not after it).
 */
export async function readModelsFromLog(url: string): Promise<ReadModelSnapshot> {
  const rows = await queryDatabase<LogRow>(
    url,
    `SELECT operation_id, version, event_id, type, source, data, position::text,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time,
            ${MINUTE.replace('%s', 'recorded_at')} AS recorded_minute
     FROM operation_events ORDER BY operation_id, version`,
  );
  const byOperation = new Map<string, LogRow[]>();
  for (const row of rows) byOperation.set(row.operation_id, [...(byOperation.get(row.operation_id) ?? []), row]);

  const snapshot: ReadModelSnapshot = {
    statusCounts: {},
    runningByStage: {},
    stages: [],
    sources: [],
    stageMinutes: {},
    stageHours: {},
    eventsPerMinute: {},
  };
  const minutes = new Map<string, { counts: number[]; durations: Map<number, number> }>();
  const hours = new Map<string, { counts: number[]; durations: Map<number, number> }>();
  const add = (map: typeof minutes, key: string, index: number, duration: number | null) => {
    const cell = map.get(key) ?? { counts: [0, 0, 0, 0], durations: new Map<number, number>() };
    map.set(key, cell);
    cell.counts[index] += 1;
    if (duration !== null) cell.durations.set(bucketOf(duration), (cell.durations.get(bucketOf(duration)) ?? 0) + 1);
  };
  const outcomes: Record<string, number> = {
    'stage.started': 0,
    'stage.completed': 1,
    'stage.failed': 2,
    'stage.skipped': 3,
  };
  for (const [operationId, events] of byOperation) {
    const firstPosition = Math.min(...events.map((e) => Number(e.position)));
    const state = foldEvents(
      events.map((e) => ({
        id: e.event_id,
        operationId,
        version: e.version,
        type: e.type,
        source: e.source,
        time: e.time,
        data: e.data as never,
        expectedVersion: null,
      })),
    )!.state as OperationState;
    snapshot.statusCounts[state.status] = (snapshot.statusCounts[state.status] ?? 0) + 1;
    for (const [stage, value] of Object.entries(state.stages)) {
      snapshot.stages.push(`${operationId}|${stage}|${value.status}|${firstPosition}`);
      if (value.status === 'running' && (state.status === 'pending' || state.status === 'running')) {
        snapshot.runningByStage[stage] = (snapshot.runningByStage[stage] ?? 0) + 1;
      }
    }
    for (const source of new Set(events.map((e) => e.source))) {
      snapshot.sources.push(`${source}|${operationId}|${firstPosition}`);
    }
    const latestStart = new Map<string, string>();
    for (const e of events) {
      snapshot.eventsPerMinute[e.recorded_minute] = (snapshot.eventsPerMinute[e.recorded_minute] ?? 0) + 1;
      const outcome = outcomes[e.type];
      const stage = e.data?.stage;
      if (outcome === undefined || typeof stage !== 'string') continue;
      let duration: number | null = null;
      const start = latestStart.get(stage);
      if ((outcome === 1 || outcome === 2) && start !== undefined && start <= e.time) {
        duration = (Date.parse(e.time) - Date.parse(start)) / 1 + microsDiff(start, e.time);
      }
      if (outcome === 0 && (start === undefined || e.time > start)) latestStart.set(stage, e.time);
      add(minutes, `${e.time.slice(0, 16)} ${stage}`, outcome, duration);
      add(hours, `${e.time.slice(0, 13)}:00 ${stage}`, outcome, duration);
    }
  }
  const text = (cell: { counts: number[]; durations: Map<number, number> }) =>
    `${cell.counts.join('/')}|${[...cell.durations]
      .sort((a, b) => a[0] - b[0])
      .map(([b, n]) => `${b}:${n}`)
      .join(',')}`;
  snapshot.stageMinutes = Object.fromEntries([...minutes].map(([k, v]) => [k, text(v)]));
  snapshot.stageHours = Object.fromEntries([...hours].map(([k, v]) => [k, text(v)]));
  snapshot.stages.sort();
  snapshot.sources.sort();
  return snapshot;
}

/** The sub-millisecond part Date.parse drops (canonical times carry microseconds). */
function microsDiff(from: string, to: string): number {
  const micros = (t: string) => Number(t.slice(23, 26)) / 1000;
  return micros(to) - micros(from);
}

/** Index names and definitions of every read-model table (a rebuild must put them back under these names). */
export async function readModelIndexes(url: string): Promise<{ indexname: string; indexdef: string }[]> {
  return queryDatabase(
    url,
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE tablename IN ('operation_stages', 'operation_status_counts', 'operation_running_stage_counts',
                         'operation_sources', 'stage_minute_stats', 'stage_hour_stats', 'event_minute_counts')
     ORDER BY indexname`,
  );
}
