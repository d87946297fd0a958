import type { OperationRange } from '../operation-ranges';
import { quoteIdentifier, selectRows, type SqlRunner } from '../../event-store/sql';

/** A range of a bulk pass with where it resumes. */
export interface BulkRange extends OperationRange {
  /** The last operation of the range whose row is written (committed with it); null: none yet. */
  checkpoint: string | null;
}

/**
 * The checkpoints of a parallel bulk pass: one row per operation-id range, in
 * a table beside the job's shadow (`<shadow>_bulk_ranges`), created with the
 * ranges when the pass is planned and dropped in the transaction that ends it.
 * Each batch of a range records its last operation here in the transaction
 * that writes its rows, so a resumed job continues every range after its last
 * committed batch, with the same ranges, whatever order the pipelines ran in.
 * Like the shadow, it is rebuild scratch: it never becomes a live table.
 */
export class BulkRangeStore {
  private readonly name: string;

  constructor(shadowTable: string) {
    this.name = quoteIdentifier(`${shadowTable}_bulk_ranges`.slice(0, 63));
  }

  /** The stored ranges, or null when the pass has not been planned (no table). */
  async load(db: SqlRunner): Promise<BulkRange[] | null> {
    const [found] = await selectRows<{ found: string | null }>(db, 'SELECT to_regclass($1)::text AS found', [
      this.name,
    ]);
    if (found.found === null) return null;
    const rows = await selectRows<{
      range_index: number;
      after_id: string;
      at_most_id: string | null;
      checkpoint_id: string | null;
    }>(db, `SELECT range_index, after_id, at_most_id, checkpoint_id FROM ${this.name} ORDER BY range_index`);
    return rows.map((r) => ({
      index: r.range_index,
      after: r.after_id,
      atMost: r.at_most_id,
      checkpoint: r.checkpoint_id,
    }));
  }

  /** Creates the table with `ranges` (none written yet); run in one transaction. */
  async create(db: SqlRunner, ranges: readonly OperationRange[]): Promise<BulkRange[]> {
    await db.query(
      `CREATE TABLE ${this.name} (range_index int PRIMARY KEY, after_id text NOT NULL, at_most_id text,
         checkpoint_id text)`,
    );
    await db.query(
      `INSERT INTO ${this.name} (range_index, after_id, at_most_id)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[])`,
      [ranges.map((r) => r.index), ranges.map((r) => r.after), ranges.map((r) => r.atMost)],
    );
    return ranges.map((r) => ({ ...r, checkpoint: null }));
  }

  /** Inside a batch's transaction: the range resumes after `operationId`. */
  async recordCheckpoint(db: SqlRunner, range: number, operationId: string): Promise<void> {
    await db.query(`UPDATE ${this.name} SET checkpoint_id = $2 WHERE range_index = $1`, [range, operationId]);
  }

  async drop(db: SqlRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS ${this.name}`);
  }
}
