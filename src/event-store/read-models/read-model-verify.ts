/**
 * `replay --verify` for the read models beside the projection: the counters and
 * indexes must agree with the rows and the log they are derived from, and the
 * rollups with what folding the whole log again produced (the verify's shadow
 * twins). Differences are described one per line, for operators.
 */
import type { DataSource } from 'typeorm';
import type { GlobalPosition } from '../global-position';
import { readHeadPosition, readStableHeadPosition } from '../log/event-log-reader';
import { LOG_DERIVED_TABLES, twinOf } from './read-model-tables';
import { quoteIdentifier, selectRows, SqlRunner } from '../sql';

export interface ReadModelReport {
  differences: number;
  examples: string[];
  /** The log kept growing while the rollups were compared: they were not compared at one point in time. */
  unsettled: boolean;
}

const EXAMPLES = 5;
const ROLLUP_ROUNDS = 3;

/** Rows of the live table that the shape derived from `operations` / the log does not have, both ways. */
const ROW_CHECKS: { name: string; sql: string }[] = [
  {
    name: 'operation_status_counts',
    sql: `SELECT coalesce(r.status, c.status) AS key, r.n::text AS expected, c.n::text AS stored
          FROM (SELECT status, count(*) AS n FROM operations WHERE version > 0 GROUP BY status) r
          FULL JOIN (SELECT status, sum(count) AS n FROM operation_status_counts GROUP BY status HAVING sum(count) <> 0) c
            USING (status)
          WHERE r.n IS DISTINCT FROM c.n`,
  },
  {
    name: 'operation_running_stage_counts',
    sql: `SELECT coalesce(r.stage, c.stage) AS key, r.n::text AS expected, c.n::text AS stored
          FROM (SELECT s.key AS stage, count(*) AS n FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') s
                WHERE o.version > 0 AND o.status IN ('pending', 'running') AND s.value ->> 'status' = 'running'
                GROUP BY s.key) r
          FULL JOIN (SELECT stage, sum(count) AS n FROM operation_running_stage_counts GROUP BY stage
                     HAVING sum(count) <> 0) c USING (stage)
          WHERE r.n IS DISTINCT FROM c.n`,
  },
  {
    name: 'operation_stages',
    sql: `WITH expected AS (
            SELECT o.id AS operation_id, s.key AS stage, s.value ->> 'status' AS status, o.first_position
            FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') s WHERE o.version > 0)
          SELECT operation_id || ' / ' || stage AS key, 'present' AS expected, 'missing or different' AS stored
          FROM (SELECT * FROM expected EXCEPT SELECT operation_id, stage, status, first_position FROM operation_stages) x
          UNION ALL
          SELECT operation_id || ' / ' || stage, 'absent', 'present'
          FROM (SELECT operation_id, stage, status, first_position FROM operation_stages EXCEPT SELECT * FROM expected) y`,
  },
  {
    name: 'operation_sources',
    sql: `WITH expected AS (
            SELECT DISTINCT e.source, e.operation_id, o.first_position
            FROM operation_events e JOIN operations o ON o.id = e.operation_id)
          SELECT source || ' / ' || operation_id AS key, 'present' AS expected, 'missing or different' AS stored
          FROM (SELECT * FROM expected EXCEPT SELECT source, operation_id, first_position FROM operation_sources) x
          UNION ALL
          SELECT source || ' / ' || operation_id, 'absent', 'present'
          FROM (SELECT source, operation_id, first_position FROM operation_sources EXCEPT SELECT * FROM expected) y`,
  },
];

/** One rollup table as (bucket, stage, field, value), stripes added up. */
function rollupValues(table: string, bucket: string): string {
  const t = quoteIdentifier(table);
  if (bucket === 'minute' && table.endsWith('event_minute_counts')) {
    return `SELECT minute AS bucket, '' AS stage, 'events' AS field, sum(events) AS v FROM ${t} GROUP BY minute`;
  }
  const fields = ['started', 'succeeded', 'failed', 'skipped']
    .map((f) => `SELECT ${bucket} AS bucket, stage, '${f}' AS field, sum(${f}) AS v FROM ${t} GROUP BY 1, 2`)
    .join(' UNION ALL ');
  return `${fields} UNION ALL
    SELECT ${bucket}, stage, 'duration bucket ' || (n - 1), sum(x) FROM ${t}, unnest(durations) WITH ORDINALITY AS u(x, n)
    GROUP BY 1, 2, n`;
}

async function diffRollups(db: SqlRunner, shadow: string): Promise<string[]> {
  const found: string[] = [];
  for (const [live, bucket] of [
    ['stage_minute_stats', 'minute'],
    ['stage_hour_stats', 'hour'],
    ['event_minute_counts', 'minute'],
  ] as const) {
    // operation_sources, also rebuilt from the log, is checked against the log directly (ROW_CHECKS).
    const rows = await selectRows<{ bucket: string; stage: string; field: string; live: string; rebuilt: string }>(
      db,
      `SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') AS bucket, stage, field,
              coalesce(l.v, 0)::text AS live, coalesce(s.v, 0)::text AS rebuilt
       FROM (${rollupValues(live, bucket)}) l
       FULL JOIN (${rollupValues(twinOf(shadow, live as keyof typeof LOG_DERIVED_TABLES), bucket)}) s
         USING (bucket, stage, field)
       WHERE coalesce(l.v, 0) <> coalesce(s.v, 0)
       ORDER BY 1, 2, 3`,
    );
    for (const row of rows) {
      found.push(
        `${live} ${row.bucket}${row.stage ? ` ${row.stage}` : ''} ${row.field}: ${row.live} live, ${row.rebuilt} from the log`,
      );
    }
  }
  return found;
}

/**
 * Checks the read models. The row-derived ones are compared with the rows in
 * one snapshot (they are written in the same transaction, so any difference
 * is real). The rollups are compared with the shadow's twins when no event
 * arrived since the shadow was caught up; if events keep arriving the shadow
 * catches up and the comparison is tried again, a few times.
 */
export async function verifyReadModels(
  dataSource: DataSource,
  shadow: string,
  caughtUpTo: GlobalPosition,
  catchUpShadow: (from: GlobalPosition, to: GlobalPosition) => Promise<void>,
): Promise<ReadModelReport> {
  const report: ReadModelReport = { differences: 0, examples: [], unsettled: false };
  const note = (lines: string[]) => {
    report.differences += lines.length;
    report.examples.push(...lines.slice(0, EXAMPLES - report.examples.length));
  };
  await dataSource.transaction('REPEATABLE READ', async (manager) => {
    for (const check of ROW_CHECKS) {
      const rows = await selectRows<{ key: string; expected: string | null; stored: string | null }>(
        manager,
        check.sql,
      );
      note(rows.map((r) => `${check.name} ${r.key}: ${r.stored ?? 0} stored, ${r.expected ?? 0} expected`));
    }
  });
  let horizon = caughtUpTo;
  for (let round = 1; ; round += 1) {
    // Every event up to the horizon is committed (a stable head): if the snapshot shows none above
    // it, the live rollups in that snapshot are exactly those of the events up to the horizon.
    const lines = await dataSource.transaction('REPEATABLE READ', async (manager) =>
      (await readHeadPosition(manager)) === horizon ? diffRollups(manager, shadow) : null,
    );
    if (lines !== null) {
      note(lines);
      return report;
    }
    if (round >= ROLLUP_ROUNDS) {
      report.unsettled = true;
      return report;
    }
    const head = await readStableHeadPosition(dataSource);
    await catchUpShadow(horizon, head);
    horizon = head;
  }
}
