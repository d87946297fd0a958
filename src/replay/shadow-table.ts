import { quoteIdentifier, selectRows, SqlRunner } from './sql';

export const LIVE_TABLE = 'operations';

/**
 * A copy of the operations table's shape, with every index and constraint it
 * has today (whatever later migrations added), filled by a rebuild or a verify.
 * UNLOGGED would be faster but does not survive a crash, and the table becomes
 * the live projection: it is an ordinary table.
 */
export async function createShadowTable(db: SqlRunner, table: string): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (LIKE ${LIVE_TABLE} INCLUDING ALL)`);
}

export async function shadowTableExists(db: SqlRunner, table: string): Promise<boolean> {
  const [row] = await selectRows<{ found: string | null }>(db, 'SELECT to_regclass($1)::text AS found', [
    quoteIdentifier(table),
  ]);
  return row.found !== null;
}

export async function dropShadowTable(db: SqlRunner, table: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
}

/** Planner statistics before the table goes live: a bulk-loaded table has none. */
export async function analyzeShadowTable(db: SqlRunner, table: string): Promise<void> {
  await db.query(`ANALYZE ${quoteIdentifier(table)}`);
}

interface IndexInfo {
  name: string;
  shape: string;
}

/** Each index of a table with what it indexes, independent of the index's and the table's name. */
async function indexesOf(db: SqlRunner, table: string): Promise<IndexInfo[]> {
  const rows = await selectRows<{ name: string; definition: string; is_unique: boolean; is_primary: boolean }>(
    db,
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
            i.indisunique AS is_unique, i.indisprimary AS is_primary
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
    [quoteIdentifier(table)],
  );
  return rows.map((row) => ({
    name: row.name,
    // "CREATE INDEX <name> ON <table> USING btree (status, ...)": the part from USING is the shape.
    shape: `${row.is_primary}|${row.is_unique}|${row.definition.slice(row.definition.indexOf(' USING '))}`,
  }));
}

/**
 * Inside the swap transaction, with the live table locked: drops it, renames
 * the shadow into its place and gives each copied index the name the live one
 * had, so that later migrations find the indexes (and the primary key
 * constraint) under the names they were created with.
 */
export async function replaceLiveTable(db: SqlRunner, shadow: string): Promise<void> {
  const liveIndexes = await indexesOf(db, LIVE_TABLE);
  const shadowIndexes = await indexesOf(db, shadow);
  await db.query(`DROP TABLE ${LIVE_TABLE}`);
  await db.query(`ALTER TABLE ${quoteIdentifier(shadow)} RENAME TO ${LIVE_TABLE}`);
  const unmatched = [...shadowIndexes];
  for (const live of liveIndexes) {
    const index = unmatched.findIndex((candidate) => candidate.shape === live.shape);
    if (index < 0) continue;
    const [copy] = unmatched.splice(index, 1);
    if (copy.name !== live.name) {
      await db.query(`ALTER INDEX ${quoteIdentifier(copy.name)} RENAME TO ${quoteIdentifier(live.name)}`);
    }
  }
}
