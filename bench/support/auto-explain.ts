/**
 * The plans Postgres really ran for a read, with EXPLAIN (ANALYZE, BUFFERS)
 * detail, whatever SQL the service builds: Postgres's auto_explain module,
 * enabled for the benchmark database only (ALTER DATABASE … SET, picked up by
 * connections opened afterwards), logs every statement's plan to the server
 * log; the bytes the log grew by during one call are that call's plans.
 *
 * Needs a server whose log file the harness can read: the embedded Postgres
 * (its stderr goes to postgres.log beside the cluster directory) or one with
 * logging_collector on. With any other server the plans are reported as
 * unavailable.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { runSql } from './sql';

const SETTINGS: Record<string, string> = {
  session_preload_libraries: 'auto_explain',
  'auto_explain.log_min_duration': '0',
  'auto_explain.log_analyze': 'on',
  'auto_explain.log_buffers': 'on',
  'auto_explain.log_timing': 'on',
  'auto_explain.log_nested_statements': 'on',
  'auto_explain.log_format': 'text',
};

/** The server's log file, or null when the harness cannot read it. */
export async function serverLogFile(databaseUrl: string): Promise<string | null> {
  const [{ file, data }] = await runSql<{ file: string | null; data: string }>(
    databaseUrl,
    `SELECT pg_current_logfile() AS file, current_setting('data_directory') AS data`,
  );
  const candidates = file ? [isAbsolute(file) ? file : join(data, file)] : [join(dirname(data), 'postgres.log')];
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

/** Turns auto_explain on for the database while `body` runs (for connections opened inside it). */
export async function withAutoExplain<T>(databaseUrl: string, body: () => Promise<T>): Promise<T> {
  const [{ name }] = await runSql<{ name: string }>(databaseUrl, 'SELECT current_database() AS name');
  const database = `"${name.replace(/"/g, '""')}"`;
  // LOAD first, so that the auto_explain.* settings are known parameters, not placeholders.
  const statements = Object.entries(SETTINGS).map(
    ([key, value]) => `ALTER DATABASE ${database} SET ${key} = '${value}'`,
  );
  await runSql(databaseUrl, `LOAD 'auto_explain'; ${statements.join('; ')}`);
  try {
    return await body();
  } finally {
    const resets = Object.keys(SETTINGS).map((key) => `ALTER DATABASE ${database} RESET ${key}`);
    await runSql(databaseUrl, resets.join('; '));
  }
}

/** Runs `call` and returns the plans the server logged meanwhile (one string per statement). */
export async function plansLoggedDuring(logFile: string, call: () => Promise<unknown>): Promise<string[]> {
  const start = statSync(logFile).size;
  await call();
  // The backend writes the plan before it answers, but give the log a moment to settle all the same.
  let end = statSync(logFile).size;
  for (let i = 0; i < 20; i += 1) {
    await new Promise((r) => setTimeout(r, 25));
    const now = statSync(logFile).size;
    if (now === end && i >= 2) break;
    end = now;
  }
  return extractPlans(readRange(logFile, start, end));
}

function readRange(file: string, start: number, end: number): string {
  const buffer = Buffer.alloc(Math.max(0, end - start));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** Log entries (a prefixed first line and tab-indented continuation lines) that carry a plan. */
export function extractPlans(log: string): string[] {
  const entries: string[][] = [];
  for (const line of log.split('\n')) {
    if (/^\d{4}-\d\d-\d\d /.test(line)) entries.push([line.replace(/^.*?\b(LOG|NOTICE|INFO):\s+/, '')]);
    else if (entries.length > 0 && line.startsWith('\t')) entries[entries.length - 1].push(line.slice(1));
  }
  return entries.filter((entry) => / plan:$/.test(entry[0])).map((entry) => entry.join('\n'));
}
