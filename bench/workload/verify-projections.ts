/**
 * Compares what a contender ended with against the truth: the fold of each
 * operation's complete event set (src/projection/operation-fold.ts).
 */
import { Client } from 'pg';
import { canonicalJson } from '../support/canonical-json';
import { trueProjection } from './operation-events';
import { operationId, type Workload } from './workload';

const PAGE = 5000;

export interface ProjectionCheck {
  operations: number;
  missing: number;
  /** Operations whose final status is not the true status: a stale event overwrote a newer fact. */
  staleStatus: number;
  /** Operations whose whole state differs from the fold (ours only: the baseline has no comparable state). */
  wrongState: number | null;
}

async function checkPages(
  databaseUrl: string,
  workload: Workload,
  sql: string,
  compare: (index: number, row: { status: string; state?: unknown } | undefined, check: ProjectionCheck) => void,
): Promise<ProjectionCheck> {
  const check: ProjectionCheck = { operations: workload.operations, missing: 0, staleStatus: 0, wrongState: null };
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let first = 0; first < workload.operations; first += PAGE) {
      const indexes = Array.from({ length: Math.min(PAGE, workload.operations - first) }, (_, i) => first + i);
      const { rows } = await client.query<{ id: string; status: string; state?: unknown }>(sql, [
        indexes.map(operationId),
      ]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const index of indexes) compare(index, byId.get(operationId(index)), check);
    }
  } finally {
    await client.end();
  }
  return check;
}

/** Ours: every projection must equal the fold, field for field. */
export function verifyOurProjections(databaseUrl: string, workload: Workload): Promise<ProjectionCheck> {
  return checkPages(
    databaseUrl,
    workload,
    'SELECT id, status, state FROM operations WHERE id = ANY($1) AND version > 0',
    (index, row, check) => {
      check.wrongState ??= 0;
      if (!row) {
        check.missing += 1;
        return;
      }
      const truth = trueProjection(index).state;
      if (row.status !== truth.status) check.staleStatus += 1;
      if (canonicalJson(row.state) !== canonicalJson(truth)) check.wrongState += 1;
    },
  );
}

/** The baseline: how many rows hold a status that a stale event overwrote. */
export function verifySeedRows(databaseUrl: string, workload: Workload): Promise<ProjectionCheck> {
  return checkPages(databaseUrl, workload, 'SELECT id, status FROM ops WHERE id = ANY($1)', (index, row, check) => {
    if (!row) check.missing += 1;
    else if (row.status !== trueProjection(index).state.status) check.staleStatus += 1;
  });
}
