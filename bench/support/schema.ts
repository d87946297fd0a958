import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../../src/event-store/database-options';
import { runMigrations } from '../../src/event-store/run-migrations';

/** Applies the service's own migrations, so that a contender's tables are exactly the service's. */
export async function migrate(databaseUrl: string): Promise<void> {
  const dataSource = new DataSource(databaseOptions(databaseUrl, 2));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
