import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../../src/local-infra/free-port';
import type { TestContext } from './test-app';
import { testInfrastructure } from './test-env';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

/** The terminus body of /health/ready. */
export interface ReadinessBody {
  status: 'ok' | 'error';
  details: {
    database?: { status: 'up' | 'down'; message?: string };
    kafkaConsumer?: { status: 'up' | 'down'; partitions: number[]; message?: string };
  };
}
/**
 * Which build to launch: dist/ by default. The chaos suite points it at a private copy, so that a
 * rebuild of the checkout during a long run cannot fail a relaunch mid-scenario.
 */
export const SERVICE_DIST_ENV = 'OPLEDGER_SERVICE_DIST';

function serviceEntry(): string {
  return join(process.env[SERVICE_DIST_ENV] ?? join(ROOT, 'dist'), 'main.js');
}

/**
 * The real service as its own OS process (the build in dist/), for tests that
 * kill, signal or restart it. Its output is kept for failure messages.
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private output: string[] = [];
  private readonly lineListeners = new Set<(line: string) => void>();
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  private constructor(
    readonly port: number,
    private readonly entry: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(context: TestContext, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const entry = serviceEntry();
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    const port = await findFreePort();
    const service = new ServiceProcess(port, entry, {
      DATABASE_URL: context.databaseUrl,
      KAFKA_BROKERS: testInfrastructure().brokers.join(','),
      KAFKA_TOPIC: context.topic,
      KAFKA_GROUP_ID: context.groupId,
      KAFKA_TOPIC_PARTITIONS: '6',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      ...env,
    });
    await service.launch();
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /**
   * Starts the process (again) and waits until it is ready. `env` adds to the environment of this
   * launch only (failpoints armed for one incarnation); with `untilReady: false` it returns at once,
   * for a process that may end by itself before it is ready.
   */
  async launch(env: Record<string, string> = {}, { untilReady = true } = {}): Promise<void> {
    const child = spawn(process.execPath, [this.entry], {
      env: { PATH: process.env.PATH ?? '', ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 400) this.output.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) for (const listener of this.lineListeners) listener(line);
      });
    }
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    if (!untilReady) return;
    await waitFor(
      `service on port ${this.port} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${this.logs()}`);
        const response = await fetch(`${this.url}/health/ready`).catch(() => null);
        return response?.status === 200;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
  }

  async ready(): Promise<{ status: number; body: ReadinessBody }> {
    const response = await fetch(`${this.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as never };
  }

  /** The partitions this instance consumes, as its readiness probe reports them. */
  async assignedPartitions(): Promise<number[]> {
    return (await this.ready()).body.details.kafkaConsumer?.partitions ?? [];
  }

  /** Sends a signal and waits for the process to end; resolves with how it ended. */
  async signal(
    signal: NodeJS.Signals,
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || !this.exit) throw new Error('not running');
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`service did not exit within ${timeoutMs} ms of ${signal}:\n${this.logs()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exit, deadline]);
    } finally {
      clearTimeout(timer);
      this.child = null;
    }
  }

  /** Every complete line the process writes to stdout or stderr, from now on; returns the unsubscribe. */
  onLine(listener: (line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Whether the last launched process is still running. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for the process to end by itself (a failpoint's crash); resolves with how it ended. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) throw new Error('not launched');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`service did not exit within ${timeoutMs} ms:\n${this.logs()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exit, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whatever happens, leaves no process behind (for afterAll). */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) await this.signal('SIGKILL').catch(() => undefined);
  }

  /** The last lines of the output (all that is kept with `Infinity`). */
  logs(lastLines = 40): string {
    return this.output.join('').split('\n').slice(-lastLines).join('\n');
  }
}
