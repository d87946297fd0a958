import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { OperationState } from '../../projection/operation-fold';
import { APPEND_GATE_LOCK_KEY } from '../append-statements';
import { copyFrom } from '../copy-from';
import { pgPoolOf } from '../database-pool';
import { type BulkLoadRunner, selectRows, type SqlRunner } from '../sql';
import {
  type ProjectionLayout,
  type ProjectionRow,
  readProjectionLayout,
  upsertProjectionRows,
} from './projection-rows';
import { ShadowProjection } from './shadow-projection';
import { LIVE_TABLE } from './shadow-table';

/** The stored state as Postgres holds it, serialised: the hot read path sends it without re-encoding. */
export interface OperationDocument {
  version: number;
  json: string;
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** An operation's projection row, locked for a single-operation rebuild. */
export interface LockedOperation {
  db: SqlRunner;
  layout: ProjectionLayout;
  /** The live version before (null: the operation had no projection row). */
  versionBefore: number | null;
}

/**
 * The projection (the operations table): its reads, and what rebuilds need to
 * rewrite it without ever holding appends back longer than the swap.
 */
@Injectable()
export class ProjectionStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The state of an operation as stored, serialised by Postgres. pg's pool directly, with a named
   * statement that each connection parses and plans once: TypeORM's per-query runner and an
   * unnamed statement cost more than the query on the busiest endpoint. state::text skips pg's
   * JSON.parse and the JSON.stringify that would follow: the stored document is sent as it is.
   */
  async readDocument(operationId: string): Promise<OperationDocument | null> {
    const { rows } = await pgPoolOf(this.dataSource).query<OperationDocument>({
      name: 'opledger-get-operation-document',
      text: 'SELECT version, state::text AS json FROM operations WHERE id = $1',
      values: [operationId],
    });
    return rows[0] ?? null;
  }

  async readState(operationId: string): Promise<OperationState | null> {
    const rows = await selectRows<{ state: OperationState }>(
      this.dataSource,
      'SELECT state FROM operations WHERE id = $1',
      [operationId],
    );
    return rows[0]?.state ?? null;
  }

  /** Which optional columns the operations table has (migrations may not all be applied). */
  layout(db: SqlRunner = this.dataSource): Promise<ProjectionLayout> {
    return readProjectionLayout(db);
  }

  /** A shadow of the projection named `table` (created by its create()). */
  shadow(table: string, layout: ProjectionLayout): ShadowProjection {
    return new ShadowProjection(this.dataSource, table, layout);
  }

  /** Runs `work` in one transaction (the database's default isolation unless given). */
  transaction<T>(work: (db: SqlRunner) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return isolation ? this.dataSource.transaction(isolation, work) : this.dataSource.transaction(work);
  }

  /**
   * Runs `work` in one transaction on a connection of pg's pool, which TypeORM's query runner
   * cannot offer: COPY … FROM STDIN (the bulk pass of a rebuild loads its shadow with it).
   */
  async bulkTransaction<T>(work: (db: BulkLoadRunner) => Promise<T>): Promise<T> {
    const client = await pgPoolOf(this.dataSource).connect();
    const db: BulkLoadRunner = {
      query: async (sql, parameters) => (await client.query(sql, parameters)).rows,
      copyFrom: (sql, text) => copyFrom(client, sql, text),
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(db);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroyed rather than reused.
      client.release(broken);
    }
  }

  /**
   * Runs `work` in a transaction in which no append is in flight or can start:
   * the live table locked ACCESS EXCLUSIVE (each append takes a row lock on
   * operations in its first statement, and that conflicts with this lock),
   * then the append gate exclusive (every append holds it shared from its
   * event insert to its commit; taken second, as appends take it after their
   * row locks, so the two cannot deadlock). Readers wait for the commit.
   * Waiting longer than `lockTimeoutMs` for the locks fails with Postgres'
   * lock_not_available (isLockTimeout).
   */
  withAppendsHeld<T>(work: (db: SqlRunner) => Promise<T>, { lockTimeoutMs }: { lockTimeoutMs: number }): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
      await manager.query(`LOCK TABLE ${LIVE_TABLE} IN ACCESS EXCLUSIVE MODE`);
      await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_GATE_LOCK_KEY]);
      return work(manager);
    });
  }

  /**
   * Runs `work` in one transaction that locks the operation's row (inserting
   * a placeholder first if it is missing, then FOR UPDATE): appends to it
   * wait, a read of its events sees every event they committed before, and an
   * append that read the row earlier is refused by its "no head moved" check.
   */
  withOperationLocked<T>(operationId: string, work: (locked: LockedOperation) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const layout = await readProjectionLayout(manager);
      const created = await selectRows<{ id: string }>(
        manager,
        `INSERT INTO ${LIVE_TABLE} (id, version, status, state, memo, created_at, updated_at, last_position)
         VALUES ($1, 0, 'pending', '{}', '{}', now(), now(), 0) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [operationId],
      );
      const [locked] = await selectRows<{ version: number }>(
        manager,
        `SELECT version FROM ${LIVE_TABLE} WHERE id = $1 FOR UPDATE`,
        [operationId],
      );
      return work({ db: manager, layout, versionBefore: created.length > 0 ? null : locked.version });
    });
  }

  /**
   * Inside withOperationLocked: writes the operation's rebuilt row, or deletes it when the log has
   * no events for it (row null). Returns whether the live row changed.
   */
  async replaceOperation(locked: LockedOperation, operationId: string, row: ProjectionRow | null): Promise<boolean> {
    if (row === null) {
      await locked.db.query(`DELETE FROM ${LIVE_TABLE} WHERE id = $1`, [operationId]);
      return locked.versionBefore !== null;
    }
    return (await upsertProjectionRows(locked.db, LIVE_TABLE, locked.layout, [row])) > 0;
  }
}
