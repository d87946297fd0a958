/**
 * The one read model that a full rebuild (`opledger replay`) leaves as it is:
 * the source filter's keyset index, operation_sources (migration
 * 1764000500000), which only the append writes (and the migration's backfill,
 * for a log that predates it), because which sources an operation has heard
 * from never changes when the fold does. The bench writes the log with COPY,
 * behind the append's back, so after the rebuild it fills the index for the
 * events it added with the migration's own backfill statement. On a commit
 * without that table there is nothing to do. The reads scenario's list-page
 * check compares the source filter's answers with the log itself, so a
 * difference between this statement and what the append writes would show.
 */
import { runSql } from '../support/sql';

export async function fillSourceIndex(databaseUrl: string, afterPosition: number): Promise<boolean> {
  const [{ present }] = await runSql<{ present: boolean }>(
    databaseUrl,
    `SELECT to_regclass('operation_sources') IS NOT NULL AS present`,
  );
  if (!present) return false;
  await runSql(
    databaseUrl,
    `INSERT INTO operation_sources (source, first_position, operation_id)
     SELECT e.source, min(o.first_position), e.operation_id
     FROM operation_events e JOIN operations o ON o.id = e.operation_id
     WHERE e.position > $1
     GROUP BY e.source, e.operation_id
     ON CONFLICT DO NOTHING`,
    [afterPosition],
  );
  return true;
}
