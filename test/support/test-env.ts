/** Environment variables through which global setup hands the infrastructure to test files. */
export const TEST_ENV = {
  adminDatabaseUrl: 'OPLEDGER_TEST_ADMIN_DATABASE_URL',
  brokers: 'OPLEDGER_TEST_KAFKA_BROKERS',
} as const;

export function testInfrastructure(): { adminDatabaseUrl: string; brokers: string[] } {
  const adminDatabaseUrl = process.env[TEST_ENV.adminDatabaseUrl];
  const brokers = process.env[TEST_ENV.brokers];
  if (!adminDatabaseUrl || !brokers) {
    throw new Error('test infrastructure missing: run the tests through jest (global setup starts it)');
  }
  return { adminDatabaseUrl, brokers: brokers.split(',') };
}
