import type { GlobalPosition } from '../global-position';
import type { FoldMemo, OperationState } from '../../projection/operation-fold';
import { copyJson, copyText } from '../copy-from';
import { quoteIdentifier, selectRows, SqlRunner } from '../sql';

/** One operation's projection as the rebuild computes it from the log. */
export interface ProjectionRow {
  id: string;
  version: number;
  status: string;
  state: OperationState;
  memo: FoldMemo;
  createdAt: string;
  updatedAt: string;
  firstPosition: GlobalPosition;
  lastPosition: GlobalPosition;
}

/**
 * Columns of `operations` the rebuild knows how to fill. A column it does not
 * know would come out of a rebuild empty, silently: the rebuild refuses to run
 * instead, until it is taught the column here and in upsertProjectionRows.
 */
const REQUIRED_COLUMNS = ['id', 'version', 'status', 'state', 'memo', 'created_at', 'updated_at', 'last_position'];
const OPTIONAL_COLUMNS = ['first_position', 'projected_at'];

/** Which optional columns this database's `operations` table has (migrations may not all be applied). */
export interface ProjectionLayout {
  hasFirstPosition: boolean;
}

export class UnsupportedProjectionSchemaError extends Error {
  constructor(detail: string) {
    super(`the operations table cannot be rebuilt: ${detail}`);
    this.name = 'UnsupportedProjectionSchemaError';
  }
}

export async function readProjectionLayout(db: SqlRunner): Promise<ProjectionLayout> {
  const columns = await selectRows<{ column_name: string }>(
    db,
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'operations'`,
  );
  const names = new Set(columns.map((c) => c.column_name));
  const missing = REQUIRED_COLUMNS.filter((name) => !names.has(name));
  if (missing.length > 0) throw new UnsupportedProjectionSchemaError(`columns missing: ${missing.join(', ')}`);
  const unknown = [...names].filter((name) => !REQUIRED_COLUMNS.includes(name) && !OPTIONAL_COLUMNS.includes(name));
  if (unknown.length > 0) {
    throw new UnsupportedProjectionSchemaError(
      `the rebuild does not know how to compute column(s) ${unknown.join(', ')} (src/event-store/projection/projection-rows.ts)`,
    );
  }
  return { hasFirstPosition: names.has('first_position') };
}

/** The columns two projections are compared on (projected_at only says when a row was written). */
export function comparedColumns(layout: ProjectionLayout): string[] {
  return [...REQUIRED_COLUMNS.filter((c) => c !== 'id'), ...(layout.hasFirstPosition ? ['first_position'] : [])];
}

/**
 * Inserts or replaces rows in `table` (the live table or a shadow of it) with
 * one multi-row statement; a row equal to the stored one is left alone.
 * Returns how many rows were inserted or changed.
 */
export async function upsertProjectionRows(
  db: SqlRunner,
  table: string,
  layout: ProjectionLayout,
  rows: readonly ProjectionRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const firstPosition = layout.hasFirstPosition ? ', first_position' : '';
  const setFirstPosition = layout.hasFirstPosition ? ', first_position = EXCLUDED.first_position' : '';
  const columns = comparedColumns(layout);
  const changed = `(${columns.map((c) => `target.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  // One JSON payload (one JSON.stringify, parsed by Postgres) rather than nine pg arrays, whose
  // element-by-element escaping in JavaScript was a large share of the rebuild's CPU and garbage.
  const written = await selectRows<{ id: string }>(
    db,
    `INSERT INTO ${quoteIdentifier(table)} AS target
       (id, version, status, state, memo, created_at, updated_at, last_position, projected_at${firstPosition})
     SELECT id, version, status, state, memo, created_at, updated_at, last_position, now()${firstPosition}
     FROM json_to_recordset($1::json)
       AS u(id text, version int, status text, state jsonb, memo jsonb, created_at timestamptz, updated_at timestamptz,
            last_position bigint, first_position bigint)
     ON CONFLICT (id) DO UPDATE SET
       version = EXCLUDED.version, status = EXCLUDED.status, state = EXCLUDED.state, memo = EXCLUDED.memo,
       created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, last_position = EXCLUDED.last_position,
       projected_at = EXCLUDED.projected_at${setFirstPosition}
     WHERE ${changed}
     RETURNING id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          version: r.version,
          status: r.status,
          state: r.state,
          memo: r.memo,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
          last_position: r.lastPosition,
          first_position: r.firstPosition,
        })),
      ),
    ],
  );
  return written.length;
}

/**
 * The COPY text of `rows` and the statement that loads it into `table` (projected_at takes its
 * default, now()). Plain inserts: for a table that holds none of these ids yet (the bulk pass of a
 * rebuild, whose checkpoints guarantee it); COPY parses each document once and inserts in batches,
 * far cheaper for Postgres than a multi-row upsert from a JSON recordset.
 */
export function projectionRowsCopy(
  table: string,
  layout: ProjectionLayout,
  rows: readonly ProjectionRow[],
): { sql: string; text: string } {
  const firstPosition = layout.hasFirstPosition ? ', first_position' : '';
  const sql = `COPY ${quoteIdentifier(table)} (id, version, status, state, memo, created_at, updated_at, last_position${firstPosition}) FROM STDIN`;
  let text = '';
  for (const r of rows) {
    // Operation ids, statuses and ISO times hold nothing COPY treats specially; the JSON documents may hold backslashes.
    text += `${copyText(r.id)}\t${r.version}\t${r.status}\t${copyJson(JSON.stringify(r.state))}\t${copyJson(JSON.stringify(r.memo))}\t${r.createdAt}\t${r.updatedAt}\t${r.lastPosition}${layout.hasFirstPosition ? `\t${r.firstPosition}` : ''}\n`;
  }
  return { sql, text };
}
