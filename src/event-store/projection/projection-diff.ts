import type { GlobalPosition } from '../global-position';
import { comparedColumns, ProjectionLayout } from './projection-rows';
import { LIVE_TABLE } from './shadow-table';
import { quoteIdentifier, selectRows, SqlRunner } from '../sql';

/** An operation whose live row and rebuilt row differ, and in which columns. */
export interface DifferenceExample {
  operationId: string;
  columns: string[];
  liveVersion: number | null;
  rebuiltVersion: number | null;
}

export interface ProjectionDiff {
  /** Operations whose live row differs from the rebuilt one although no event reached them after `horizon`. */
  differences: number;
  examples: DifferenceExample[];
  /** Differing operations that received events after `horizon`: they must be compared again. */
  moving: string[];
}

const MAX_MOVING = 1000;

/**
 * Compares the live projection with a shadow table built up to `horizon`, in
 * one statement (one snapshot). A live row reflects every event of its
 * operation committed in that snapshot; when none of them is above `horizon`,
 * the live row and the rebuilt row describe the same events and must be equal.
 * Operations with newer events are returned as `moving` instead of being
 * counted, so ingest can go on during a verify without false alarms.
 */
export async function diffProjections(
  db: SqlRunner,
  shadow: string,
  layout: ProjectionLayout,
  horizon: GlobalPosition,
  options: { onlyOperationIds?: readonly string[]; exampleLimit: number },
): Promise<ProjectionDiff> {
  const columns = comparedColumns(layout);
  const differs = columns.map((c) => `s.${c} IS DISTINCT FROM o.${c}`).join(' OR ');
  const differingColumns = columns.map((c) => `CASE WHEN s.${c} IS DISTINCT FROM o.${c} THEN '${c}' END`).join(', ');
  const only = options.onlyOperationIds ? 'AND coalesce(s.id, o.id) = ANY($4::text[])' : '';
  const rows = await selectRows<{
    id: string;
    live_version: number | null;
    rebuilt_version: number | null;
    columns: string[];
    moving: boolean;
    settled_count: string;
  }>(
    db,
    `WITH diff AS (
       SELECT coalesce(s.id, o.id) AS id, o.version AS live_version, s.version AS rebuilt_version,
              CASE WHEN s.id IS NULL OR o.id IS NULL THEN ARRAY['row']
                   ELSE array_remove(ARRAY[${differingColumns}], NULL) END AS columns,
              EXISTS (SELECT 1 FROM operation_events e
                      WHERE e.operation_id = coalesce(s.id, o.id) AND e.position > $1) AS moving
       FROM ${quoteIdentifier(shadow)} s FULL JOIN ${LIVE_TABLE} o ON o.id = s.id
       WHERE (s.id IS NULL OR o.id IS NULL OR ${differs}) ${only}
     ), ranked AS (
       SELECT diff.*, count(*) FILTER (WHERE NOT moving) OVER () AS settled_count,
              row_number() OVER (PARTITION BY moving ORDER BY id) AS rank
       FROM diff
     )
     SELECT id, live_version, rebuilt_version, columns, moving, settled_count FROM ranked
     WHERE rank <= CASE WHEN moving THEN $2::bigint ELSE $3::bigint END ORDER BY id`,
    [horizon, MAX_MOVING, options.exampleLimit, ...(options.onlyOperationIds ? [options.onlyOperationIds] : [])],
  );
  return {
    differences: rows.length > 0 ? Number(rows[0].settled_count) : 0,
    examples: rows
      .filter((r) => !r.moving)
      .map((r) => ({
        operationId: r.id,
        columns: r.columns,
        liveVersion: r.live_version,
        rebuiltVersion: r.rebuilt_version,
      })),
    moving: rows.filter((r) => r.moving).map((r) => r.id),
  };
}
