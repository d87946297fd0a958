import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appends that run in parallel (issue 17). Until now every append took one exclusive advisory lock
 * (the append-order lock) from its event insert to its commit, so that positions became visible in
 * the order they were assigned and a reader polling by position never skipped one. That made the
 * insert, projection write and commit of all appends of all instances one serial section.
 *
 * Now each event stores the id of the transaction that wrote it (`xid`, `pg_current_xact_id()`), and
 * the feed reads in (xid, position) order only the events of transactions older than the oldest one
 * still running (`pg_snapshot_xmin(pg_current_snapshot())`): such transactions are all finished, so
 * what a reader has seen can never gain an event in front of it (docs/consistency.md, "The feed").
 * Events already stored get xid 1 (a constant default: no table rewrite), which sorts them before
 * every later one, in their position order as before.
 *
 * Within one operation the feed keeps version order: a transaction takes its id at its first row
 * lock, so one that locked operation A, then waited for B's lock while another transaction (a newer
 * id) wrote B and committed, would otherwise put B's next versions before that writer's in the feed.
 * The function refuses that case as a serialization failure, and the store tries again (a new id).
 *
 * `opledger_append_events` keeps its signature; its fourth argument is now the key of a lock that
 * appends take SHARED (they never wait for each other on it) and that a rebuild takes exclusive for
 * a moment, to read a head position below which every event is committed (EventLogReader).
 */
export const APPEND_EVENTS_FUNCTION_V4 = `
CREATE OR REPLACE FUNCTION opledger_append_events(bases json, events json, projections json, gate_lock bigint, activity json)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  changed bigint;
  overtaken bigint;
  appended json;
  my_stripe smallint := (pg_backend_pid() % 4)::smallint;
  b_id text[]; b_version int[]; b_row text[]; existing text[];
  e_operation text[]; e_version int[]; e_id text[]; e_type text[]; e_source text[]; e_time timestamptz[]; e_data jsonb[];
  e_digest bytea[];
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
  SELECT count(*) FILTER (WHERE CASE WHEN b.base_version = 0 THEN l.id IS NOT NULL
                                     ELSE l.id IS NULL OR l.version <> b.base_version OR l.row_version <> b.base_row END),
         -- The row's last writer has a newer transaction id than this one: this transaction took its id
         -- (at its first row lock) before that writer committed, while waiting for another row. Its
         -- events would sort before that writer's in the feed, i.e. before lower versions of the same
         -- operation. Trying again in a new transaction (a newer id) keeps versions in feed order.
         count(*) FILTER (WHERE l.id IS NOT NULL AND ((l.row_version::bigint
           - pg_current_xact_id()::text::bigint % 4294967296 + 4294967296) % 4294967296) BETWEEN 1 AND 2147483647)
  INTO changed, overtaken
  FROM unnest(b_id, b_version, b_row) AS b(id, base_version, base_row)
  LEFT JOIN locked l ON l.id = b.id;
  IF changed > 0 THEN
    RAISE EXCEPTION '% operation(s) changed since they were read', changed USING ERRCODE = 'serialization_failure';
  END IF;
  IF overtaken > 0 THEN
    RAISE EXCEPTION '% operation(s) written by a newer transaction while this one waited', overtaken
      USING ERRCODE = 'serialization_failure';
  END IF;

  -- Shared: appends never wait for each other here. Held to commit, so that a rebuild's barrier (the
  -- exclusive lock, taken after the operations table's lock) sees no append in flight.
  PERFORM pg_advisory_xact_lock_shared(gate_lock);

  SELECT array_agg(e.operation_id ORDER BY e.n), array_agg(e.version ORDER BY e.n), array_agg(e.event_id ORDER BY e.n),
         array_agg(e.type ORDER BY e.n), array_agg(e.source ORDER BY e.n), array_agg(e.occurred_at ORDER BY e.n),
         array_agg(e.data ORDER BY e.n), array_agg(decode(e.digest, 'base64') ORDER BY e.n)
  INTO e_operation, e_version, e_id, e_type, e_source, e_time, e_data, e_digest
  FROM ROWS FROM (json_to_recordset(events)
    AS (operation_id text, version int, event_id text, type text, source text, occurred_at timestamptz, data jsonb,
        digest text))
    WITH ORDINALITY AS e(operation_id, version, event_id, type, source, occurred_at, data, digest, n);

  SELECT array_agg(p.id), array_agg(p.version), array_agg(p.status), array_agg(p.state), array_agg(p.memo),
         array_agg(p.created_at), array_agg(p.updated_at), array_agg(b.base_version)
  INTO p_id, p_version, p_status, p_state, p_memo, p_created, p_updated, p_base
  FROM json_to_recordset(projections)
    AS p(id text, version int, status text, state jsonb, memo jsonb, created_at timestamptz, updated_at timestamptz)
  JOIN unnest(b_id, b_version) AS b(id, base_version) ON b.id = p.id;

  -- Rollups and counters, in key order (two appends adding to the same rows cannot deadlock).
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

  WITH inserted AS (
    INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data, digest)
    SELECT * FROM unnest(e_operation, e_version, e_id, e_type, e_source, e_time, e_data, e_digest)
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

const DROP_APPEND_EVENTS = 'DROP FUNCTION opledger_append_events(json, json, json, bigint, json)';

export class ParallelAppends1764000800000 implements MigrationInterface {
  name = 'ParallelAppends1764000800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE operation_events ADD COLUMN xid xid8 NOT NULL DEFAULT '1'`);
    await queryRunner.query('ALTER TABLE operation_events ALTER COLUMN xid SET DEFAULT pg_current_xact_id()');
    await queryRunner.query('CREATE INDEX operation_events_feed_idx ON operation_events (xid, position)');
    // Dropped first: CREATE OR REPLACE cannot rename a parameter (order_lock is now gate_lock).
    await queryRunner.query(DROP_APPEND_EVENTS);
    await queryRunner.query(APPEND_EVENTS_FUNCTION_V4);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { APPEND_EVENTS_FUNCTION_V3 } = await import('./1764000600000-event-digests');
    await queryRunner.query(DROP_APPEND_EVENTS);
    await queryRunner.query(APPEND_EVENTS_FUNCTION_V3);
    await queryRunner.query('DROP INDEX operation_events_feed_idx');
    await queryRunner.query('ALTER TABLE operation_events DROP COLUMN xid');
  }
}
