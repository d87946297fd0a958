import type { DataSource, QueryRunner } from 'typeorm';
import { isLockTimeout, selectRows } from '../../event-store/sql';

/** First key of every replay advisory lock ("oplr"); the second is a job id, or 0 for the rebuild slot. */
export const REPLAY_LOCK_NAMESPACE = 0x6f706c72;
/** Held by the one rebuild that may run: two rebuilds would both try to swap the live table. */
export const REBUILD_SLOT = 0;

/**
 * A dedicated connection holding session advisory locks for as long as a job
 * runs. Locks vanish with the connection, so a job whose process crashed is
 * seen as interrupted (and resumable) at once, with no lease to expire.
 */
export class ReplayJobLease {
  private constructor(readonly runner: QueryRunner) {}

  static async open(dataSource: DataSource): Promise<ReplayJobLease> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    return new ReplayJobLease(runner);
  }

  async tryLock(key: number): Promise<boolean> {
    const [row] = await selectRows<{ locked: boolean }>(
      this.runner,
      'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked',
      [REPLAY_LOCK_NAMESPACE, key],
    );
    return row.locked;
  }

  /**
   * Waits up to `timeoutMs` for the lock (for a holder that is about to let go); false if it did not
   * come in time. The wait is Postgres' lock_timeout, set for this call only.
   */
  async lockWithin(key: number, timeoutMs: number): Promise<boolean> {
    await this.runner.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.trunc(timeoutMs)}ms`]);
    try {
      await this.runner.query('SELECT pg_advisory_lock($1::int, $2::int)', [REPLAY_LOCK_NAMESPACE, key]);
      return true;
    } catch (error) {
      if (isLockTimeout(error)) return false;
      throw error;
    } finally {
      await this.runner.query('RESET lock_timeout');
    }
  }

  async release(): Promise<void> {
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
      await this.runner.query('SELECT pg_advisory_unlock_all()');
    } finally {
      await this.runner.release();
    }
  }
}

/** SQL true when a live session holds job `<alias>.id`'s lock (an alias of replay_jobs). */
export function jobAliveSql(alias: string): string {
  return `EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = ${REPLAY_LOCK_NAMESPACE}::oid AND l.objid = ${alias}.id::oid AND l.objsubid = 2)`;
}
