import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { startLocalPostgres } from '../local-infra/local-postgres';

export interface CliDatabase {
  url: string;
  /** Stops the embedded Postgres if this process started it. */
  release(): Promise<void>;
}

// The credentials and database name src/local-infra/local-postgres.ts gives the embedded cluster.
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const EMBEDDED_DATABASE = 'opledger';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the `postgres` OS user when running as root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The port of the embedded Postgres a running `npm start` already serves from this cluster, if any. */
function runningServerPort(clusterDir: string): number | null {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  // postmaster.pid: line 1 the server's pid, line 4 its port.
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && isAlive(pid) ? port : null;
}

/**
 * DATABASE_URL when set; otherwise the embedded Postgres under DATA_DIR: the
 * one a running service already serves (so `opledger replay` works next to
 * `npm start`), or a server started for this command and stopped after it.
 */
export async function openCliDatabase(config: AppConfig): Promise<CliDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, release: async () => undefined };
  const dataDir = join(resolve(config.dataDir), 'postgres');
  const port = runningServerPort(join(dataDir, 'cluster'));
  if (port !== null) {
    return {
      url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
      release: async () => undefined,
    };
  }
  const embedded = await startLocalPostgres({ dataDir });
  return { url: embedded.url, release: embedded.stop };
}
