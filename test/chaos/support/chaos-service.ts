import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../../../src/local-infra/free-port';
import type { TestContext } from '../../support/test-app';
import { testInfrastructure } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/** Set by the chaos global setup: the private copy of dist/ that scenarios launch. */
export const CHAOS_DIST_ENV = 'OPLEDGER_CHAOS_DIST';

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * The built service as its own OS process, like test/support/service-process.ts,
 * but launched from the suite's private copy of the build (see global-setup.ts),
 * so that a rebuild of dist/ by someone else cannot fail a relaunch mid-scenario.
 */
export class ChaosService {
  private child: ChildProcess | null = null;
  private exit: Promise<Exit> | null = null;
  private readonly output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly entry: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(context: TestContext, env: Record<string, string> = {}): Promise<ChaosService> {
    const dist = process.env[CHAOS_DIST_ENV];
    if (!dist) throw new Error(`${CHAOS_DIST_ENV} is not set: run the suite with "npm run test:chaos"`);
    const entry = join(dist, 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing`);
    const port = await findFreePort();
    const service = new ChaosService(port, entry, {
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

  /** Starts the process (again, on the same port) and waits until /health/ready answers 200. */
  async launch(): Promise<void> {
    const child = spawn(process.execPath, [this.entry], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 400) this.output.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
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

  /** Status and body of /health/ready. */
  async ready(): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.url}/health/ready`);
    return { status: response.status, body: await response.json() };
  }

  /** Sends a signal and waits for the process to end; resolves with how it ended. */
  async signal(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<Exit> {
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

  /** Whatever happens, leaves no process behind (for afterAll). */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) await this.signal('SIGKILL').catch(() => undefined);
  }

  logs(): string {
    return this.output.join('').split('\n').slice(-40).join('\n');
  }
}
