import type { DataSource } from 'typeorm';
import type { GlobalPosition } from '../global-position';
import {
  addLogActivity,
  buildShadowRowModels,
  completeShadowSourceIndexes,
  createShadowRollups,
  dropShadowReadModels,
  loadLogActivity,
  type LogActivity,
  replaceLiveReadModels,
  shadowRowModelsExist,
} from '../read-models/read-model-tables';
import { type ReadModelReport, verifyReadModels } from '../read-models/read-model-verify';
import type { BulkLoadRunner, SqlRunner } from '../sql';
import { diffProjections, type ProjectionDiff } from './projection-diff';
import { type ProjectionLayout, type ProjectionRow, projectionRowsCopy, upsertProjectionRows } from './projection-rows';
import {
  analyzeShadowTable,
  completeShadowIndexes,
  createShadowTable,
  dropShadowTable,
  replaceLiveTable,
  shadowTableExists,
} from './shadow-table';

/**
 * A shadow of the projection that a rebuild or a verify fills from the log:
 * a copy of the operations table and a twin of each read model beside it.
 * A rebuild swaps it in for the live ones (swapIn, inside withAppendsHeld);
 * a verify compares it with them and drops it. Methods that take `db` run in
 * the caller's transaction (ProjectionStore.transaction), so that rows and a
 * job's checkpoint commit together.
 */
export class ShadowProjection {
  constructor(
    private readonly dataSource: DataSource,
    /** The shadow table's name; its read-model twins are named after it. */
    readonly table: string,
    readonly layout: ProjectionLayout,
  ) {}

  exists(): Promise<boolean> {
    return shadowTableExists(this.dataSource, this.table);
  }

  /** Creates the table and the log-derived rollup twins if they do not exist (empty). */
  async create(): Promise<void> {
    await createShadowTable(this.dataSource, this.table);
    await createShadowRollups(this.dataSource, this.table);
  }

  dropTable(): Promise<void> {
    return dropShadowTable(this.dataSource, this.table);
  }

  dropReadModels(): Promise<void> {
    return dropShadowReadModels(this.dataSource, this.table);
  }

  /**
   * Inserts or replaces folded rows (a row equal to the stored one is left alone), then adds what
   * folding them added to the rollups, in `stripe` (one per concurrent writer). Returns how many rows
   * were inserted or changed.
   */
  async write(
    rows: readonly ProjectionRow[],
    { db = this.dataSource, activity, stripe = 0 }: { db?: SqlRunner; activity?: LogActivity; stripe?: number } = {},
  ): Promise<number> {
    const written = await upsertProjectionRows(db, this.table, this.layout, rows);
    if (activity) await addLogActivity(db, this.table, activity, stripe);
    return written;
  }

  /**
   * Bulk-loads folded rows of operations the table does not hold yet (COPY), their sources and
   * what folding them added to the rollups, in `stripe` (one per concurrent loader), in `db`'s
   * transaction. Only for the bulk pass, whose checkpoints guarantee the rows are new: a row already
   * there fails the load (unique violation) rather than being written twice.
   */
  async load(
    rows: readonly ProjectionRow[],
    { db, activity, stripe }: { db: BulkLoadRunner; activity: LogActivity; stripe: number },
  ): Promise<void> {
    if (rows.length > 0) {
      const { sql, text } = projectionRowsCopy(this.table, this.layout, rows);
      await db.copyFrom(sql, text);
    }
    await loadLogActivity(db, this.table, activity, stripe);
  }

  /** Whether the row-derived twins (counters, stage index) were built and are kept by triggers. */
  rowModelsExist(): Promise<boolean> {
    return shadowRowModelsExist(this.dataSource, this.table);
  }

  /** Builds the row-derived twins from the rows as they stand; triggers keep them exact from then on. */
  buildRowModels(db: SqlRunner): Promise<void> {
    return buildShadowRowModels(db, this.table);
  }

  /** Gives the table every index the live one has (idempotent). */
  completeIndexes(): Promise<void> {
    return completeShadowIndexes(this.dataSource, this.table);
  }

  /** Gives the read-model twins that load() fills without indexes their indexes (idempotent). */
  completeReadModelIndexes(): Promise<void> {
    return completeShadowSourceIndexes(this.dataSource, this.table);
  }

  analyze(): Promise<void> {
    return analyzeShadowTable(this.dataSource, this.table);
  }

  /** Compares the live projection with this shadow, built up to `horizon` (see diffProjections). */
  diff(
    horizon: GlobalPosition,
    options: { onlyOperationIds?: readonly string[]; exampleLimit: number },
  ): Promise<ProjectionDiff> {
    return diffProjections(this.dataSource, this.table, this.layout, horizon, options);
  }

  /** Checks the live read models against the rows, the log and this shadow's rollups (see verifyReadModels). */
  verifyReadModels(
    caughtUpTo: GlobalPosition,
    catchUp: (from: GlobalPosition, to: GlobalPosition) => Promise<void>,
  ): Promise<ReadModelReport> {
    return verifyReadModels(this.dataSource, this.table, caughtUpTo, catchUp);
  }

  /** Inside withAppendsHeld: the shadow and its twins replace the live projection and read models. */
  async swapIn(db: SqlRunner): Promise<void> {
    await replaceLiveTable(db, this.table);
    await replaceLiveReadModels(db, this.table);
  }
}
