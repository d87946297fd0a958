import type { MigrationInterface, QueryRunner } from 'typeorm';
import { applyEvent, emptyProjection, type Projection } from '../../projection/operation-fold';
import { StageActivityRollup, stageEventActivity, stageStateOf } from '../../projection/stage-activity';
import type { OperationEvent } from '../../envelope/operation-event';

/**
 * Read models that keep every operator read O(log n) or O(result) whatever the
 * size of the log (docs/consistency.md, "Counters and rollups"):
 *
 * - derived from each `operations` row, kept exact by statement-level triggers
 *   on that table (so every writer keeps them right: appends, single-operation
 *   rebuilds, a rebuild's catch-up on its shadow table):
 *     operation_status_counts         operations by status            (striped, summed on read)
 *     operation_running_stage_counts  running stages of unfinished operations, by stage (striped)
 *     operation_stages                one row per (operation, stage): (stage, status, first position of the
 *                                     operation, id), all in the primary key, the stage filters' keyset index
 * - derived from the log, written by the append in the same transaction:
 *     operation_sources               one row per (source, operation), keyed (source, first position, id):
 *                                     the source filter's keyset index
 *     stage_minute_stats / stage_hour_stats   per stage and minute (hour): started, succeeded, failed,
 *                                     skipped and a duration histogram (src/projection/stage-activity.ts)
 *     event_minute_counts             events recorded per minute
 *
 * Counters are striped by the writing backend (pid % 4), so concurrent appends
 * do not queue on one hot row; readers add the stripes up.
 *
 * The trigger function finds its target tables from the table it fires on:
 * `operations` writes the tables above, a rebuild's shadow `operations_rebuild_N`
 * writes `operations_rebuild_N_stages` etc., and after the swap renames the
 * shadow to `operations` its triggers write the live tables with no change.
 */
const TRIGGER_FUNCTION = `
CREATE FUNCTION opledger_operations_read_models() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  live boolean := TG_TABLE_NAME = 'operations';
  stages_table text := CASE WHEN live THEN 'operation_stages' ELSE TG_TABLE_NAME || '_stages' END;
  status_table text := CASE WHEN live THEN 'operation_status_counts' ELSE TG_TABLE_NAME || '_status_counts' END;
  running_table text := CASE WHEN live THEN 'operation_running_stage_counts' ELSE TG_TABLE_NAME || '_running_counts' END;
  changes text;
BEGIN
  -- Each changed row as (+1 new, -1 old); placeholder rows (version 0) count for nothing.
  changes := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT 1 AS d, id, status, state, first_position FROM new_rows WHERE version > 0'
    WHEN 'DELETE' THEN 'SELECT -1 AS d, id, status, state, first_position FROM old_rows WHERE version > 0'
    ELSE 'SELECT 1 AS d, id, status, state, first_position FROM new_rows WHERE version > 0
          UNION ALL SELECT -1, id, status, state, first_position FROM old_rows WHERE version > 0'
  END;
  EXECUTE format($sql$
    WITH c AS (%1$s),
    s AS (
      SELECT c.d, c.id, e.key AS stage, e.value ->> 'status' AS stage_status, c.status, c.first_position
      FROM c CROSS JOIN LATERAL jsonb_each(c.state -> 'stages') AS e
    ),
    n AS (SELECT id, stage, stage_status, first_position FROM s WHERE d = 1),
    o AS (SELECT id, stage, stage_status, first_position FROM s WHERE d = -1),
    gone AS (
      DELETE FROM %2$I AS t USING (SELECT * FROM o EXCEPT SELECT * FROM n) AS g
      WHERE t.stage = g.stage AND t.status = g.stage_status AND t.first_position = g.first_position
        AND t.operation_id = g.id
    ),
    stage_rows AS (
      INSERT INTO %2$I (stage, status, first_position, operation_id)
      SELECT stage, stage_status, first_position, id FROM (SELECT * FROM n EXCEPT SELECT * FROM o) AS x
    ),
    statuses AS (
      INSERT INTO %3$I AS t (status, stripe, count)
      SELECT status, $1, sum(d) FROM c GROUP BY status HAVING sum(d) <> 0 ORDER BY status
      ON CONFLICT (status, stripe) DO UPDATE SET count = t.count + EXCLUDED.count
    )
    INSERT INTO %4$I AS t (stage, stripe, count)
    SELECT stage, $1, sum(d) FROM s
    WHERE stage_status = 'running' AND status IN ('pending', 'running')
    GROUP BY stage HAVING sum(d) <> 0 ORDER BY stage
    ON CONFLICT (stage, stripe) DO UPDATE SET count = t.count + EXCLUDED.count
  $sql$, changes, stages_table, status_table, running_table)
  USING (pg_backend_pid() % 4)::smallint;
  RETURN NULL;
END
$fn$`;

/** The triggers that keep the row-derived read models of a projection table exact. */
export function readModelTriggersSql(table: string): string[] {
  const quoted = `"${table.replace(/"/g, '""')}"`;
  const name = (suffix: string) => `"${`${table}_read_models_${suffix}`.slice(0, 63).replace(/"/g, '""')}"`;
  return [
    `CREATE TRIGGER ${name('insert')} AFTER INSERT ON ${quoted} REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION opledger_operations_read_models()`,
    `CREATE TRIGGER ${name('update')} AFTER UPDATE ON ${quoted} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION opledger_operations_read_models()`,
    `CREATE TRIGGER ${name('delete')} AFTER DELETE ON ${quoted} REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION opledger_operations_read_models()`,
  ];
}

const ADD_HISTOGRAMS_FUNCTION = `
CREATE FUNCTION opledger_add_histograms(a int[], b int[]) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n)
$fn$`;

/**
 * The append of migration 1764000400000, plus the log-derived read models: the
 * stage rollups (computed by the caller while it folds, passed as \`activity\`)
 * and the events-per-minute counter are written before the append-order lock
 * is taken (they need no positions), the source index after the insert.
 *
 *   activity: {minutes: [cell], hours: [cell]}, cell = {stage, bucket, started, succeeded, failed, skipped,
 *             durations: int[112]}; bucket is the minute (hour) start
 */
export const APPEND_EVENTS_FUNCTION_V2 = `
CREATE FUNCTION opledger_append_events(bases json, events json, projections json, order_lock bigint, activity json)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  changed bigint;
  appended json;
  my_stripe smallint := (pg_backend_pid() % 4)::smallint;
  b_id text[]; b_version int[]; b_row text[]; existing text[];
  e_operation text[]; e_version int[]; e_id text[]; e_type text[]; e_source text[]; e_time timestamptz[]; e_data jsonb[];
  p_id text[]; p_version int[]; p_status text[]; p_state jsonb[]; p_memo jsonb[]; p_created timestamptz[];
  p_updated timestamptz[]; p_base int[];
BEGIN
  SELECT array_agg(b.id), array_agg(b.base_version), array_agg(b.base_row),
         coalesce(array_agg(b.id) FILTER (WHERE b.base_version > 0), '{}')
  INTO b_id, b_version, b_row, existing
  FROM json_to_recordset(bases) AS b(id text, base_version int, base_row text);

  WITH locked AS (
    SELECT o.id, o.version, o.xmin::text AS row_version FROM operations o
    WHERE o.id = ANY(b_id) ORDER BY o.id FOR UPDATE
  )
  SELECT count(*) INTO changed
  FROM unnest(b_id, b_version, b_row) AS b(id, base_version, base_row)
  LEFT JOIN locked l ON l.id = b.id
  WHERE CASE WHEN b.base_version = 0 THEN l.id IS NOT NULL
             ELSE l.id IS NULL OR l.version <> b.base_version OR l.row_version <> b.base_row END;
  IF changed > 0 THEN
    RAISE EXCEPTION '% operation(s) changed since they were read', changed USING ERRCODE = 'serialization_failure';
  END IF;

  SELECT array_agg(e.operation_id ORDER BY e.n), array_agg(e.version ORDER BY e.n), array_agg(e.event_id ORDER BY e.n),
         array_agg(e.type ORDER BY e.n), array_agg(e.source ORDER BY e.n), array_agg(e.occurred_at ORDER BY e.n),
         array_agg(e.data ORDER BY e.n)
  INTO e_operation, e_version, e_id, e_type, e_source, e_time, e_data
  FROM ROWS FROM (json_to_recordset(events)
    AS (operation_id text, version int, event_id text, type text, source text, occurred_at timestamptz, data jsonb))
    WITH ORDINALITY AS e(operation_id, version, event_id, type, source, occurred_at, data, n);

  SELECT array_agg(p.id), array_agg(p.version), array_agg(p.status), array_agg(p.state), array_agg(p.memo),
         array_agg(p.created_at), array_agg(p.updated_at), array_agg(b.base_version)
  INTO p_id, p_version, p_status, p_state, p_memo, p_created, p_updated, p_base
  FROM json_to_recordset(projections)
    AS p(id text, version int, status text, state jsonb, memo jsonb, created_at timestamptz, updated_at timestamptz)
  JOIN unnest(b_id, b_version) AS b(id, base_version) ON b.id = p.id;

  -- Rollups and counters that need no position: written before the lock, in key order.
  INSERT INTO stage_minute_stats AS t (minute, stage, stripe, started, succeeded, failed, skipped, durations)
  SELECT a.bucket, a.stage, my_stripe, a.started, a.succeeded, a.failed, a.skipped, a.durations
  FROM json_to_recordset(activity -> 'minutes') AS a(stage text, bucket timestamptz, started bigint, succeeded bigint,
    failed bigint, skipped bigint, durations int[])
  ORDER BY a.bucket, a.stage
  ON CONFLICT (minute, stage, stripe) DO UPDATE SET started = t.started + EXCLUDED.started,
    succeeded = t.succeeded + EXCLUDED.succeeded, failed = t.failed + EXCLUDED.failed,
    skipped = t.skipped + EXCLUDED.skipped, durations = opledger_add_histograms(t.durations, EXCLUDED.durations);
  INSERT INTO stage_hour_stats AS t (hour, stage, stripe, started, succeeded, failed, skipped, durations)
  SELECT a.bucket, a.stage, my_stripe, a.started, a.succeeded, a.failed, a.skipped, a.durations
  FROM json_to_recordset(activity -> 'hours') AS a(stage text, bucket timestamptz, started bigint, succeeded bigint,
    failed bigint, skipped bigint, durations int[])
  ORDER BY a.bucket, a.stage
  ON CONFLICT (hour, stage, stripe) DO UPDATE SET started = t.started + EXCLUDED.started,
    succeeded = t.succeeded + EXCLUDED.succeeded, failed = t.failed + EXCLUDED.failed,
    skipped = t.skipped + EXCLUDED.skipped, durations = opledger_add_histograms(t.durations, EXCLUDED.durations);
  -- recorded_at defaults to now(), the transaction's start: the same minute as here.
  INSERT INTO event_minute_counts AS t (minute, stripe, events)
  VALUES (date_trunc('minute', now()), my_stripe, coalesce(array_length(e_id, 1), 0))
  ON CONFLICT (minute, stripe) DO UPDATE SET events = t.events + EXCLUDED.events;

  -- Held to commit: positions become visible in the order they were assigned (a gap-safe feed).
  PERFORM pg_advisory_xact_lock(order_lock);

  WITH inserted AS (
    INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
    SELECT * FROM unnest(e_operation, e_version, e_id, e_type, e_source, e_time, e_data)
    RETURNING operation_id, event_id, source, position
  ), spans AS (
    SELECT operation_id, min(position) AS first_position, max(position) AS last_position
    FROM inserted GROUP BY operation_id
  ), folded AS (
    SELECT p.*, s.first_position, s.last_position
    FROM unnest(p_id, p_version, p_status, p_state, p_memo, p_created, p_updated, p_base)
      AS p(id, version, status, state, memo, created_at, updated_at, base_version)
    JOIN spans AS s ON s.operation_id = p.id
  ), updated AS (
    UPDATE operations AS o
    SET version = f.version, status = f.status, state = f.state, memo = f.memo, created_at = f.created_at,
        updated_at = f.updated_at, last_position = f.last_position, projected_at = now(),
        first_position = COALESCE(o.first_position, f.first_position)
    FROM folded AS f
    WHERE o.id = ANY(existing) AND f.base_version > 0 AND o.id = f.id
    RETURNING o.id, o.first_position
  ), created AS (
    INSERT INTO operations
      (id, version, status, state, memo, created_at, updated_at, last_position, projected_at, first_position)
    SELECT f.id, f.version, f.status, f.state, f.memo, f.created_at, f.updated_at, f.last_position, now(),
           f.first_position
    FROM folded AS f
    WHERE f.base_version = 0
    RETURNING id, first_position
  ), sourced AS (
    INSERT INTO operation_sources (source, first_position, operation_id)
    SELECT DISTINCT i.source, w.first_position, i.operation_id
    FROM inserted AS i JOIN (SELECT * FROM updated UNION ALL SELECT * FROM created) AS w ON w.id = i.operation_id
    ON CONFLICT DO NOTHING
  )
  SELECT coalesce(json_agg(json_build_array(event_id, position::text)), '[]'::json) INTO appended FROM inserted;
  RETURN appended;
END
$fn$`;

const BACKFILL_PAGE = 5000;

export class OperatorReadModels1764000500000 implements MigrationInterface {
  name = 'OperatorReadModels1764000500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE operation_status_counts (
        status text NOT NULL, stripe smallint NOT NULL, count bigint NOT NULL, PRIMARY KEY (status, stripe))`);
    await queryRunner.query(`
      CREATE TABLE operation_running_stage_counts (
        stage text NOT NULL, stripe smallint NOT NULL, count bigint NOT NULL, PRIMARY KEY (stage, stripe))`);
    await queryRunner.query(`
      CREATE TABLE operation_stages (
        stage text NOT NULL, status text NOT NULL, first_position bigint NOT NULL, operation_id text NOT NULL,
        PRIMARY KEY (stage, status, first_position, operation_id))`);
    await queryRunner.query(`
      CREATE TABLE operation_sources (
        source text NOT NULL, first_position bigint NOT NULL, operation_id text NOT NULL,
        PRIMARY KEY (source, first_position, operation_id))`);
    for (const [table, bucket] of [
      ['stage_minute_stats', 'minute'],
      ['stage_hour_stats', 'hour'],
    ]) {
      await queryRunner.query(`
        CREATE TABLE ${table} (
          ${bucket} timestamptz NOT NULL, stage text NOT NULL, stripe smallint NOT NULL,
          started bigint NOT NULL, succeeded bigint NOT NULL, failed bigint NOT NULL, skipped bigint NOT NULL,
          durations int[] NOT NULL,
          PRIMARY KEY (${bucket}, stage, stripe))`);
    }
    await queryRunner.query(`
      CREATE TABLE event_minute_counts (
        minute timestamptz NOT NULL, stripe smallint NOT NULL, events bigint NOT NULL, PRIMARY KEY (minute, stripe))`);

    // Backfill the row-derived models from the projection, the log-derived ones from the log.
    await queryRunner.query(`
      INSERT INTO operation_status_counts (status, stripe, count)
      SELECT status, 0, count(*) FROM operations WHERE version > 0 GROUP BY status`);
    await queryRunner.query(`
      INSERT INTO operation_running_stage_counts (stage, stripe, count)
      SELECT s.key, 0, count(*) FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s
      WHERE o.version > 0 AND o.status IN ('pending', 'running') AND s.value ->> 'status' = 'running'
      GROUP BY s.key`);
    await queryRunner.query(`
      INSERT INTO operation_stages (stage, status, first_position, operation_id)
      SELECT s.key, s.value ->> 'status', o.first_position, o.id
      FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s WHERE o.version > 0`);
    await queryRunner.query(`
      INSERT INTO operation_sources (source, first_position, operation_id)
      SELECT e.source, min(o.first_position), e.operation_id
      FROM operation_events e JOIN operations o ON o.id = e.operation_id
      GROUP BY e.source, e.operation_id`);
    await queryRunner.query(`
      INSERT INTO event_minute_counts (minute, stripe, events)
      SELECT date_trunc('minute', recorded_at), 0, count(*) FROM operation_events GROUP BY 1`);
    await backfillStageActivity(queryRunner);

    // Their primary keys are the keyset indexes of the stage and source filters; they replace the
    // log's source index and the projection's GIN index on stages, which made those filters linear.
    await queryRunner.query(`DROP INDEX operation_events_source_idx`);
    await queryRunner.query(`DROP INDEX operations_stages_idx`);

    await queryRunner.query(ADD_HISTOGRAMS_FUNCTION);
    await queryRunner.query(TRIGGER_FUNCTION);
    for (const sql of readModelTriggersSql('operations')) await queryRunner.query(sql);
    await queryRunner.query('DROP FUNCTION opledger_append_events(json, json, json, bigint)');
    await queryRunner.query(APPEND_EVENTS_FUNCTION_V2);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { APPEND_EVENTS_FUNCTION } = await import('./1764000400000-append-function');
    await queryRunner.query('DROP FUNCTION opledger_append_events(json, json, json, bigint, json)');
    await queryRunner.query(APPEND_EVENTS_FUNCTION);
    for (const suffix of ['insert', 'update', 'delete']) {
      await queryRunner.query(`DROP TRIGGER operations_read_models_${suffix} ON operations`);
    }
    await queryRunner.query('DROP FUNCTION opledger_operations_read_models()');
    await queryRunner.query('DROP FUNCTION opledger_add_histograms(int[], int[])');
    await queryRunner.query(`CREATE INDEX operations_stages_idx ON operations USING gin ((state -> 'stages'))`);
    await queryRunner.query(`CREATE INDEX operation_events_source_idx ON operation_events (source, operation_id)`);
    for (const table of [
      'event_minute_counts',
      'stage_hour_stats',
      'stage_minute_stats',
      'operation_sources',
      'operation_stages',
      'operation_running_stage_counts',
      'operation_status_counts',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}

/**
 * The stage rollups of the events already in the log, folded the way the live
 * append folds them (each operation's events in version order), a page of the
 * log at a time; only the rollup (stages × minutes) is held in memory.
 */
async function backfillStageActivity(queryRunner: QueryRunner): Promise<void> {
  const rollup = new StageActivityRollup();
  let draft: Projection | null = null;
  let after: [string, number] = ['', 0];
  for (;;) {
    const rows: {
      operation_id: string;
      version: number;
      event_id: string;
      type: string;
      source: string;
      time: string;
      data: OperationEvent['data'];
    }[] = await queryRunner.query(
      `SELECT operation_id, version, event_id, type, source, data,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time
       FROM operation_events WHERE (operation_id, version) > ($1, $2) ORDER BY operation_id, version LIMIT $3`,
      [after[0], after[1], BACKFILL_PAGE],
    );
    for (const row of rows) {
      const event = {
        id: row.event_id,
        operationId: row.operation_id,
        version: row.version,
        type: row.type,
        source: row.source,
        time: row.time,
        data: row.data,
        expectedVersion: null,
      };
      if (draft?.state.id !== event.operationId) draft = emptyProjection(event.operationId, event);
      const activity = stageEventActivity(stageStateOf(draft.state.stages, event), event);
      if (activity) rollup.add(activity);
      applyEvent(draft, event);
    }
    if (rows.length < BACKFILL_PAGE) break;
    const last = rows[rows.length - 1];
    after = [last.operation_id, last.version];
  }
  const { minutes, hours } = rollup.toWriteRequest();
  for (const [table, bucket, cells] of [
    ['stage_minute_stats', 'minute', minutes],
    ['stage_hour_stats', 'hour', hours],
  ] as const) {
    if (cells.length === 0) continue;
    await queryRunner.query(
      `INSERT INTO ${table} (${bucket}, stage, stripe, started, succeeded, failed, skipped, durations)
       SELECT a.bucket, a.stage, 0, a.started, a.succeeded, a.failed, a.skipped, a.durations
       FROM json_to_recordset($1::json) AS a(stage text, bucket timestamptz, started bigint, succeeded bigint,
         failed bigint, skipped bigint, durations int[])`,
      [JSON.stringify(cells)],
    );
  }
}
