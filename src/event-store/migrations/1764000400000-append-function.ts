import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The write half of an append as one server-side statement, so that the
 * append-order lock is held only while Postgres works: no client round trip,
 * and no wait for a busy Node event loop, happens between taking it and the
 * commit (the call runs in autocommit). The caller read the heads it folded
 * onto beforehand; if any of them changed since (another writer, a rebuild's
 * swap), the call fails with serialization_failure and the caller reads again.
 *
 *   bases:       [{id, base_version, base_row}] every operation written; base_row is the row's xmin when it was
 *                read, base_version 0 for an operation that did not exist
 *   events:      [{operation_id, version, event_id, type, source, occurred_at, data}] in append order
 *   projections: [{id, version, status, state, memo, created_at, updated_at}] one per operation in bases
 *   order_lock:  the append-order advisory lock key
 *
 * Returns [[event_id, position], …] for the inserted events, positions as text (bigint).
 */
export const APPEND_EVENTS_FUNCTION = `
CREATE OR REPLACE FUNCTION opledger_append_events(bases json, events json, projections json, order_lock bigint)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  changed bigint;
  appended json;
  b_id text[]; b_version int[]; b_row text[]; existing text[];
  e_operation text[]; e_version int[]; e_id text[]; e_type text[]; e_source text[]; e_time timestamptz[]; e_data jsonb[];
  p_id text[]; p_version int[]; p_status text[]; p_state jsonb[]; p_memo jsonb[]; p_created timestamptz[];
  p_updated timestamptz[]; p_base int[];
BEGIN
  -- Every statement below reaches operations through "= ANY(array)": an index scan whatever the
  -- table's size, also in the plan PL/pgSQL caches when the table was still small.
  SELECT array_agg(b.id), array_agg(b.base_version), array_agg(b.base_row),
         coalesce(array_agg(b.id) FILTER (WHERE b.base_version > 0), '{}')
  INTO b_id, b_version, b_row, existing
  FROM json_to_recordset(bases) AS b(id text, base_version int, base_row text);

  -- Row locks in id order, the order every writer takes them in; then the check that no head moved.
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

  -- Everything that does not need positions (parsing above all) happens before the lock.
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

  -- Held to commit: positions become visible in the order they were assigned (a gap-safe feed).
  PERFORM pg_advisory_xact_lock(order_lock);

  WITH inserted AS (
    INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
    SELECT * FROM unnest(e_operation, e_version, e_id, e_type, e_source, e_time, e_data)
    RETURNING operation_id, event_id, position
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
  ), created AS (
    INSERT INTO operations
      (id, version, status, state, memo, created_at, updated_at, last_position, projected_at, first_position)
    SELECT f.id, f.version, f.status, f.state, f.memo, f.created_at, f.updated_at, f.last_position, now(),
           f.first_position
    FROM folded AS f
    WHERE f.base_version = 0
  )
  SELECT coalesce(json_agg(json_build_array(event_id, position::text)), '[]'::json) INTO appended FROM inserted;
  RETURN appended;
END
$fn$`;

export class AppendFunction1764000400000 implements MigrationInterface {
  name = 'AppendFunction1764000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(APPEND_EVENTS_FUNCTION);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION opledger_append_events(json, json, json, bigint)');
  }
}
