import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/local-infra/free-port';
import { readProcessMemory } from './process-memory';

export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * How the service's Node runs, as the Dockerfile and `npm start` run it
 * (test/unit/service-launch.spec.ts checks that they agree): V8 lets the old
 * generation grow by a factor of the live heap between collections that it
 * scales with the heap limit (4 × from 2 GiB, Node's default limit here being
 * a quarter of the machine's memory; about 1.6 × under 1 GiB), so the limit is
 * what keeps the garbage of a backlog drain from doubling the service's RSS
 * (docs/operations.md#memory). 512 MiB (1.4 ×) cost a quarter of the ingest
 * rate in garbage collections; 1 GiB did not (docs/benchmarks.md#memory).
 */
export const SERVICE_NODE_ARGS = ['--max-old-space-size=1024'];

export interface ServiceProcess {
  pid: number;
  baseUrl: string;
  /** Highest VmHWM seen so far, MiB (the kernel's own peak, so nothing between samples is missed). */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  databaseUrl: string;
  brokers: string[];
  topic: string;
  groupId: string;
  /** Variables that override the defaults below (and whatever the caller's environment sets). */
  env?: Record<string, string>;
  /** Wait for /health/ready (the consumer is in its group) rather than /health/live. */
  waitForReady?: boolean;
}

/** `npm run build`, so that dist/ is the code in the checkout. */
export function buildService(): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
}

let snapshot: string | null = null;

/**
 * The build the benchmark runs: a private copy of dist/, taken once per run,
 * so that a rebuild of the checkout during a long run (tests build too) can
 * neither break a service start nor mix two versions into one result.
 * BENCH_SERVICE_DIST runs another build instead (an A/B comparison of two versions).
 */
export function serviceDist(): string {
  if (process.env.BENCH_SERVICE_DIST) return process.env.BENCH_SERVICE_DIST;
  if (!snapshot) {
    const copy = mkdtempSync(join(tmpdir(), 'opledger-bench-dist-'));
    process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
    // Someone else's `nest build` empties dist/ and refills it; copy again until the copy is whole.
    for (let attempt = 0; !isCompleteBuild(copy); attempt += 1) {
      if (attempt === 30) throw new Error(`dist/ stayed incomplete: run npm run build`);
      if (attempt > 0) spawnSync('sleep', ['2']);
      rmSync(copy, { recursive: true, force: true });
      try {
        cpSync(join(REPO_ROOT, 'dist'), copy, { recursive: true });
      } catch {
        // dist/ changed under the copy: try again
      }
    }
    snapshot = copy;
  }
  return snapshot;
}

/** The copy has both entry points, and dist/ itself has not changed for a few seconds (no build running). */
function isCompleteBuild(copy: string): boolean {
  try {
    const quietMs = Date.now() - statSync(join(REPO_ROOT, 'dist')).mtimeMs;
    return existsSync(join(copy, 'main.js')) && existsSync(join(copy, 'cli', 'opledger.js')) && quietMs > 3000;
  } catch {
    return false;
  }
}

/** Runs a file of the build; node_modules is found through NODE_PATH, as the copy lives outside the checkout. */
export function spawnFromBuild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  launchArgs: readonly string[] = [],
): ChildProcess {
  // BENCH_SERVICE_NODE_ARGS come last, so that they can override the launch's own (e.g. another heap limit).
  const nodeArgs = [...launchArgs, ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  return spawn(process.execPath, [...nodeArgs, join(serviceDist(), file), ...args], {
    cwd: REPO_ROOT,
    env: { ...env, NODE_PATH: join(REPO_ROOT, 'node_modules') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * Runs the built service (`node --max-old-space-size=1024 dist/main.js`) as its own process, as in
 * production, so that its memory can be read from /proc and its CPU is not
 * shared with the harness's event loop.
 */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: options.brokers.join(','),
    KAFKA_TOPIC: options.topic,
    KAFKA_GROUP_ID: options.groupId,
    // Per-request logs are a deployment choice; at "warn" the benchmark measures the service, not the terminal.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...options.env,
  };
  const child = spawnFromBuild('main.js', [], env, SERVICE_NODE_ARGS);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the service');
  let peak = 0;
  const sample = () => {
    const memory = readProcessMemory(pid);
    if (memory) peak = Math.max(peak, memory.peakRssMiB);
  };
  const sampler = setInterval(sample, 250);
  sampler.unref();

  const baseUrl = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    pid,
    baseUrl,
    peakRssMiB: () => {
      sample();
      return peak;
    },
    stop: async () => {
      sample();
      clearInterval(sampler);
      await terminate(child);
    },
  };
  try {
    await waitForHttp(`${baseUrl}${options.waitForReady === false ? '/health/live' : '/health/ready'}`, child);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return service;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before ${url} answered`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
