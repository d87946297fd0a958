import type { DataSource } from 'typeorm';

// Any constant works; it only has to be the same for every instance of the service.
const MIGRATION_LOCK_KEY = 0x6f706c6d; // "oplm"

/**
 * Runs pending migrations under a session advisory lock, so that several
 * instances starting at once apply each migration exactly once.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
