import { quoteIdentifier, selectRows, SqlRunner } from '../sql';

export const LIVE_TABLE = 'operations';

/**
 * A copy of the operations table's shape (columns, defaults, constraints),
 * filled by a rebuild or a verify. While it is bulk-loaded it has only its
 * primary key (the upserts need it); completeShadowIndexes adds every other
 * index the live table has once the bulk pass is over, which is far cheaper
 * than maintaining them row by row. UNLOGGED would be faster but does not
 * survive a crash, and the table becomes the live projection: it is an
 * ordinary table.
 */
export async function createShadowTable(db: SqlRunner, table: string): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)}
       (LIKE ${LIVE_TABLE} INCLUDING ALL EXCLUDING INDEXES, PRIMARY KEY (id))`,
  );
}

/**
 * Gives the shadow every index of the live table that it does not have yet
 * (matched by what they index, not by name): idempotent, so a resumed job can
 * run it again.
 */
export async function completeShadowIndexes(db: SqlRunner, table: string): Promise<void> {
  const missing = await indexesOf(db, table);
  for (const live of await indexesOf(db, LIVE_TABLE)) {
    const present = missing.findIndex((candidate) => candidate.shape === live.shape);
    if (present >= 0) {
      missing.splice(present, 1);
      continue;
    }
    const name = quoteIdentifier(`${table}_${live.name}`.slice(0, 63));
    await db.query(
      `CREATE ${live.unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${quoteIdentifier(table)}${live.definitionTail}`,
    );
  }
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
  unique: boolean;
  /** The definition from " USING …" on: what is indexed, how, and any WHERE clause. */
  definitionTail: string;
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
  return rows.map((row) => {
    // "CREATE INDEX <name> ON <table> USING btree (status, ...)": the part from USING is the shape.
    const definitionTail = row.definition.slice(row.definition.indexOf(' USING '));
    return {
      name: row.name,
      shape: `${row.is_primary}|${row.is_unique}|${definitionTail}`,
      unique: row.is_unique,
      definitionTail,
    };
  });
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
