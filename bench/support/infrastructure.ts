import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startLocalKafka } from '../../src/local-infra/local-kafka';
import { startLocalPostgres } from '../../src/local-infra/local-postgres';

export interface BenchInfrastructure {
  /** URL of a maintenance database on the server, for creating the scenario's databases. */
  adminDatabaseUrl: string;
  brokers: string[];
  postgresVersion: string;
  kafkaVersion: string;
  /** A fresh, empty database (dropped first if a previous run left it behind). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const log = (line: string) => console.error(`[bench infra] ${line}`);

/**
 * Starts Postgres and Kafka the way the tests do (embedded Postgres, a local
 * KRaft broker, in a temporary folder), unless DATABASE_URL / KAFKA_BROKERS
 * point at existing ones.
 */
export async function startInfrastructure(): Promise<BenchInfrastructure> {
  const root = mkdtempSync(join(tmpdir(), 'opledger-bench-'));
  // Postgres runs as the unprivileged `postgres` user when the bench runs as root.
  chmodSync(root, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: unknown) => log(`stop failed: ${String(error)}`));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const postgres = async (): Promise<string> => {
      if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
      const pg = await startLocalPostgres({ dataDir: join(root, 'postgres') });
      stops.push(pg.stop);
      log(`embedded Postgres on ${new URL(pg.adminUrl).port}`);
      return pg.adminUrl;
    };
    const kafka = async (): Promise<{ brokers: string[]; version: string }> => {
      if (process.env.KAFKA_BROKERS) return { brokers: process.env.KAFKA_BROKERS.split(','), version: 'external' };
      const broker = await startLocalKafka({ dataDir: join(root, 'kafka'), log });
      stops.push(broker.stop);
      return { brokers: [broker.brokers], version: localKafkaVersion() };
    };
    const [adminDatabaseUrl, { brokers, version: kafkaVersion }] = await Promise.all([postgres(), kafka()]);
    const postgresVersion = await serverVersion(adminDatabaseUrl);
    return {
      adminDatabaseUrl,
      brokers,
      postgresVersion,
      kafkaVersion,
      createDatabase: (name) => recreateDatabase(adminDatabaseUrl, name),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function localKafkaVersion(): string {
  const jar = readdirSync(join(__dirname, '..', '..', '.cache', 'kafka', 'libs')).find((f) =>
    /^kafka_2\.13-.*\.jar$/.test(f),
  );
  return jar?.replace(/^kafka_2\.13-(.*)\.jar$/, '$1') ?? 'unknown';
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
}

async function recreateDatabase(adminDatabaseUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
