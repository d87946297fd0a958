import type { PostgresServerCommand } from '../../src/local-infra/local-postgres';

/** Environment variables through which global setup hands the infrastructure to test files. */
export const TEST_ENV = {
  adminDatabaseUrl: 'OPLEDGER_TEST_ADMIN_DATABASE_URL',
  brokers: 'OPLEDGER_TEST_KAFKA_BROKERS',
  faultPostgres: 'OPLEDGER_TEST_FAULT_POSTGRES',
} as const;

/** The Postgres that fault-injection tests may stop and start (always embedded, never DATABASE_URL). */
export function faultPostgres(): { adminUrl: string; command: PostgresServerCommand } {
  const raw = process.env[TEST_ENV.faultPostgres];
  if (!raw) throw new Error('fault-injection Postgres missing: run the tests through jest (global setup starts it)');
  return JSON.parse(raw) as { adminUrl: string; command: PostgresServerCommand };
}

export function testInfrastructure(): { adminDatabaseUrl: string; brokers: string[] } {
  const adminDatabaseUrl = process.env[TEST_ENV.adminDatabaseUrl];
  const brokers = process.env[TEST_ENV.brokers];
  if (!adminDatabaseUrl || !brokers) {
    throw new Error('test infrastructure missing: run the tests through jest (global setup starts it)');
  }
  return { adminDatabaseUrl, brokers: brokers.split(',') };
}
