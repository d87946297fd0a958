import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventDigest } from '../../envelope/event-digest';
import type { OperationEvent } from '../../envelope/operation-event';

/**
 * Each event's content digest (src/envelope/event-digest.ts: SHA-256 of the
 * canonical type, source, subject, time and data), so that an event whose id
 * is already stored can be told apart from a true repeat: the append reads the
 * stored digests in the query that already finds the stored ids, and refuses a
 * different event under a known id (`id_conflict`, docs/consistency.md).
 *
 * The column is filled for the events already in the log here (computed in
 * Node, exactly as the append computes it), and by `opledger_append_events`
 * from now on: the function of migration 1764000500000 with one more column
 * written, its signature unchanged (each element of `events` gains `digest`,
 * base64). A row written outside the append (by hand, or by a benchmark's bulk
 * load) may have none: a repeat of its id is then taken as a duplicate, as before.
 */
export const APPEND_EVENTS_FUNCTION_V3 = `
CREATE OR REPLACE FUNCTION opledger_append_events(bases json, events json, projections json, order_lock bigint, activity json)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  changed bigint;
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

const BACKFILL_PAGE = 5000;

export class EventDigests1764000600000 implements MigrationInterface {
  name = 'EventDigests1764000600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE operation_events ADD COLUMN digest bytea');
    await backfillEventDigests((sql, parameters) => queryRunner.query(sql, parameters));
    await queryRunner.query(APPEND_EVENTS_FUNCTION_V3);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { APPEND_EVENTS_FUNCTION_V2 } = await import('./1764000500000-operator-read-models');
    await queryRunner.query('DROP FUNCTION opledger_append_events(json, json, json, bigint, json)');
    await queryRunner.query(APPEND_EVENTS_FUNCTION_V2);
    await queryRunner.query('ALTER TABLE operation_events DROP COLUMN digest');
  }
}

/**
 * Fills in the digest of every event that has none, a page of the log at a
 * time (in position order, so memory stays bounded whatever the log's size).
 * Returns how many events it filled in.
 */
export async function backfillEventDigests(
  query: (sql: string, parameters?: unknown[]) => Promise<unknown>,
): Promise<number> {
  let after = '0';
  let filled = 0;
  for (;;) {
    const rows = (await query(
      `SELECT position::text AS position, operation_id, type, source, data,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time
       FROM operation_events WHERE position > $1 AND digest IS NULL ORDER BY position LIMIT $2`,
      [after, BACKFILL_PAGE],
    )) as {
      position: string;
      operation_id: string;
      type: string;
      source: string;
      time: string;
      data: OperationEvent['data'];
    }[];
    if (rows.length === 0) return filled;
    await query(
      `UPDATE operation_events AS e SET digest = decode(d.digest, 'base64')
       FROM unnest($1::bigint[], $2::text[]) AS d(position, digest) WHERE e.position = d.position`,
      [
        rows.map((row) => row.position),
        rows.map((row) =>
          eventDigest({
            type: row.type,
            source: row.source,
            operationId: row.operation_id,
            time: row.time,
            data: row.data,
          }),
        ),
      ],
    );
    filled += rows.length;
    after = rows[rows.length - 1].position;
  }
}
