import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/**
 * CPU time spent by processes, read from /proc (Linux). Throughput on a shared
 * machine is the CPU share a contender gets divided by its CPU cost per
 * request; the share changes from one minute to the next, the cost does not.
 * So a benchmark that reports CPU per request next to req/s can compare
 * contenders even when the machine is busy with other work.
 */

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime of the process itself, ticks. */
  own: number;
  /** cutime + cstime: its waited-for children that have exited, ticks. */
  children: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const number = (field: number) => Number(fields[field - 3]);
  return { ppid: number(4), own: number(14) + number(15), children: number(16) + number(17) };
}

/** CPU milliseconds a process has used so far (itself, not its children); null once it is gone. */
export function processCpuMs(pid: number): number | null {
  const stat = readStat(pid);
  return stat === null ? null : (stat.own * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU milliseconds used so far by one Postgres server: the postmaster, its
 * live children (backends, WAL writer, checkpointer, autovacuum) and the
 * children that have exited (counted into the postmaster's cutime when reaped).
 * Other Postgres servers on the machine are not counted.
 */
export function postgresServerCpuMs(postmasterPid: number): number {
  const postmaster = readStat(postmasterPid);
  if (postmaster === null) throw new Error(`no process ${postmasterPid} (the Postgres server is gone)`);
  let ticks = postmaster.own + postmaster.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === postmasterPid) ticks += stat.own;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The postmaster of the server a URL reaches (it must run on this machine): the parent of a backend. */
export async function postmasterPidOf(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = readStat(rows[0].pid);
    if (backend === null) throw new Error('the Postgres server does not run on this machine');
    return backend.ppid;
  } finally {
    await client.end();
  }
}
