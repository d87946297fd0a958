import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKafka } from '../../src/local-infra/local-kafka';
import { startLocalPostgres, stopPostgresServer } from '../../src/local-infra/local-postgres';
import { TEST_ENV } from './test-env';

/**
 * Starts a real Postgres and a real Kafka broker for the whole test run,
 * unless DATABASE_URL / KAFKA_BROKERS point at existing ones. Test files reach
 * them through the environment variables set here.
 */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'opledger-test-'));
  // Postgres runs as the unprivileged `postgres` user when the tests run as root: let it in.
  chmodSync(root, 0o755);
  const stops: (() => Promise<void>)[] = [];
  (globalThis as Record<string, unknown>).__opledgerStops = stops;
  const log = (line: string) => process.stderr.write(`[test infra] ${line}\n`);

  const postgres = async () => {
    if (process.env.DATABASE_URL) {
      process.env[TEST_ENV.adminDatabaseUrl] = process.env.DATABASE_URL;
      return;
    }
    const started = Date.now();
    const pg = await startLocalPostgres({ dataDir: join(root, 'postgres') });
    stops.push(pg.stop);
    process.env[TEST_ENV.adminDatabaseUrl] = pg.adminUrl;
    log(`embedded Postgres up in ${Date.now() - started} ms`);
  };
  const kafka = async () => {
    if (process.env.KAFKA_BROKERS) {
      process.env[TEST_ENV.brokers] = process.env.KAFKA_BROKERS;
      return;
    }
    const started = Date.now();
    const broker = await startLocalKafka({ dataDir: join(root, 'kafka'), log });
    stops.push(broker.stop);
    process.env[TEST_ENV.brokers] = broker.brokers;
    log(`local Kafka broker up in ${Date.now() - started} ms at ${broker.brokers}`);
  };
  // A Postgres of its own for tests that stop and restart the database under a running service.
  const faultPostgres = async () => {
    const pg = await startLocalPostgres({ dataDir: join(root, 'fault-postgres') });
    stops.push(() => stopPostgresServer(pg.command.clusterDir));
    process.env[TEST_ENV.faultPostgres] = JSON.stringify({ adminUrl: pg.adminUrl, command: pg.command });
  };
  const started = await Promise.allSettled([postgres(), kafka(), faultPostgres()]);
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw (failure as PromiseRejectedResult).reason;
  }
  // Test files must get their own databases and topics, never the service's defaults.
  delete process.env.DATABASE_URL;
  delete process.env.KAFKA_BROKERS;
}
