import pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The `pg` module as TypeORM's documented `driver` option takes it, with a
 * Pool class that remembers the pool TypeORM creates from it. The event store
 * reads that pool back (pgPoolOf) for the one query that TypeORM cannot run
 * cheaply, a named prepared statement, without reaching into the driver.
 */
export class PoolRecordingPg {
  readonly Pool: typeof pg.Pool;
  pool: pg.Pool | null = null;

  constructor() {
    Object.assign(this, pg);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const recorder = this;
    this.Pool = class RecordedPool extends pg.Pool {
      constructor(config?: pg.PoolConfig) {
        super(config);
        recorder.pool = this;
      }
    };
  }
}

/** The pg pool behind a DataSource built from databaseOptions (once it is initialised). */
export function pgPoolOf(dataSource: DataSource): pg.Pool {
  const driver = (dataSource.options as { driver?: unknown }).driver;
  if (!(driver instanceof PoolRecordingPg) || driver.pool === null) {
    throw new Error('the DataSource was not built by databaseOptions, or is not initialised');
  }
  return driver.pool;
}
