/**
 * Bulk loads build indexes faster from sorted input than one row at a time:
 * drops a table's unique constraints and secondary indexes (all but the
 * primary key), runs the load, and creates them again from their own
 * definitions, all in the caller's transaction, then checks that the
 * definitions are exactly what they were. Whatever indexes the migrations of
 * the commit under test define come back; the load just does not maintain
 * them row by row.
 */
import type { Client } from 'pg';

interface Definitions {
  constraints: { name: string; definition: string }[];
  indexes: { name: string; definition: string }[];
}

async function definitions(client: Client, table: string): Promise<Definitions> {
  const constraints = await client.query<{ name: string; definition: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
     WHERE conrelid = $1::regclass AND contype IN ('u', 'x') ORDER BY conname`,
    [table],
  );
  const indexes = await client.query<{ name: string; definition: string }>(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition FROM pg_index
     WHERE indrelid = $1::regclass AND NOT indisprimary
       AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = $1::regclass)
     ORDER BY 1`,
    [table],
  );
  return { constraints: constraints.rows, indexes: indexes.rows };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs `load` inside the client's open transaction with `table`'s secondary indexes dropped, then rebuilds them. */
export async function withIndexesDeferred<T>(client: Client, table: string, load: () => Promise<T>): Promise<T> {
  const before = await definitions(client, table);
  for (const c of before.constraints)
    await client.query(`ALTER TABLE ${quote(table)} DROP CONSTRAINT ${quote(c.name)}`);
  for (const i of before.indexes) await client.query(`DROP INDEX ${i.name}`);
  const result = await load();
  for (const c of before.constraints) {
    await client.query(`ALTER TABLE ${quote(table)} ADD CONSTRAINT ${quote(c.name)} ${c.definition}`);
  }
  for (const i of before.indexes) await client.query(i.definition);
  const after = await definitions(client, table);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    throw new Error(`the indexes of ${table} did not come back as they were: ${JSON.stringify({ before, after })}`);
  }
  return result;
}
