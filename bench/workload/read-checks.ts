/**
 * Checks that the timed reads answered with the truth, not just quickly:
 * `GET /v1/stats` against counts computed from the projection, and the 24-hour
 * `GET /v1/stats/stages` against counts computed from the log (the whole bench
 * log lies within the last 24 hours). A read that is fast because it is wrong
 * shows up here. Every list page is checked against the number of operations
 * its filters match (counted with SQL over the projection and the log).
 */
import { canonicalJson } from '../support/canonical-json';
import { runSql } from '../support/sql';

export interface CheckResult {
  agrees: boolean;
  expected: unknown;
  actual: unknown;
}

interface StatsBody {
  total?: number;
  byStatus?: Record<string, number>;
  runningByStage?: Record<string, number>;
}

export async function checkStats(databaseUrl: string, body: string): Promise<CheckResult> {
  const byStatusRows = await runSql<{ status: string; n: string }>(
    databaseUrl,
    `SELECT status, count(*) AS n FROM operations WHERE version > 0 GROUP BY status`,
  );
  const runningRows = await runSql<{ stage: string; n: string }>(
    databaseUrl,
    `SELECT s.key AS stage, count(*) AS n
     FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s
     WHERE o.version > 0 AND o.status IN ('pending', 'running') AND s.value ->> 'status' = 'running'
     GROUP BY s.key`,
  );
  const byStatus = Object.fromEntries(byStatusRows.map((r) => [r.status, Number(r.n)]));
  const expected = {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    runningByStage: Object.fromEntries(runningRows.map((r) => [r.stage, Number(r.n)])),
  };
  const answer = JSON.parse(body) as StatsBody;
  const actual = {
    total: answer.total,
    // Zero counts are listed by the endpoint and absent from GROUP BY: compare the non-zero ones.
    byStatus: nonZero(answer.byStatus ?? {}),
    runningByStage: nonZero(answer.runningByStage ?? {}),
  };
  return { agrees: canonicalJson(expected) === canonicalJson(actual), expected, actual };
}

interface StageStatsBody {
  from?: string;
  to?: string;
  stages?: { stage: string; started: number; succeeded: number; failed: number; skipped: number }[];
}

const STAGE_EVENT_COLUMNS: Record<string, 'started' | 'succeeded' | 'failed' | 'skipped'> = {
  'stage.started': 'started',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

/** The 24-hour window's per-stage started/succeeded/failed/skipped against the log's stage events in it. */
export async function checkStageStats(databaseUrl: string, body: string): Promise<CheckResult> {
  const answer = JSON.parse(body) as StageStatsBody;
  const rows = await runSql<{ stage: string; type: string; n: string }>(
    databaseUrl,
    `SELECT data ->> 'stage' AS stage, type, count(*) AS n FROM operation_events
     WHERE type = ANY($1) AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
     GROUP BY 1, 2`,
    [Object.keys(STAGE_EVENT_COLUMNS), answer.from, answer.to],
  );
  const expected: Record<string, Record<string, number>> = {};
  for (const row of rows) {
    const stage = (expected[row.stage] ??= { started: 0, succeeded: 0, failed: 0, skipped: 0 });
    stage[STAGE_EVENT_COLUMNS[row.type]] += Number(row.n);
  }
  const actual: Record<string, Record<string, number>> = {};
  for (const s of answer.stages ?? []) {
    if (s.started + s.succeeded + s.failed + s.skipped === 0) continue;
    actual[s.stage] = { started: s.started, succeeded: s.succeeded, failed: s.failed, skipped: s.skipped };
  }
  return { agrees: canonicalJson(expected) === canonicalJson(actual), expected, actual };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

/**
 * A first or deep page of 50 holds min(50, matching) operations and has a next page exactly when
 * more match: a filter served from an index that is empty or stale answers fewer.
 */
export function checkListPages(
  pages: { name: string; matching: number | null; body: string | null }[],
  limit = 50,
): CheckResult {
  const expected: Record<string, string> = {};
  const actual: Record<string, string> = {};
  for (const page of pages) {
    if (page.matching === null || page.body === null) continue;
    const answer = JSON.parse(page.body) as { items?: unknown[]; nextCursor?: string | null };
    expected[page.name] = `${Math.min(limit, page.matching)}${page.matching > limit ? '+' : ''}`;
    actual[page.name] = `${answer.items?.length ?? 0}${answer.nextCursor ? '+' : ''}`;
  }
  return { agrees: canonicalJson(expected) === canonicalJson(actual), expected, actual };
}
