import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/app-config';
import { databaseOptions } from './event-store/database-options';
import { runMigrations } from './event-store/run-migrations';
import { startLocalPostgres } from './local-infra/local-postgres';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded Postgres under DATA_DIR). */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? null
    : await startLocalPostgres({ dataDir: join(resolve(config.dataDir), 'postgres') });
  // Two connections: the advisory lock holds one while the migrations use the other.
  const dataSource = new DataSource(databaseOptions(config.databaseUrl ?? embedded!.url, 2));
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

migrate().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
