import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../../src/local-infra/free-port';
import { connectProducer, createTestContext, type TestContext } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'opledger.js');
const READER = 'reader-key-cli-0123456789';
const WRITER = 'writer-key-cli-0123456789';
const ADMIN = 'admin-key-cli-0123456789';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built `opledger` binary as its own process, like an operator's terminal. */
class CliProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliRun>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.done = new Promise((resolve) =>
      this.child.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe('the opledger CLI against a running service', () => {
  let context: TestContext;
  let service: ServiceProcess;
  const started: CliProcess[] = [];

  /** Runs a command to its end with the service's URL (OPLEDGER_URL) and, unless given, the reader key. */
  function cli(args: string[], env: Record<string, string> = { OPLEDGER_API_KEY: READER }): Promise<CliRun> {
    return spawnCli(args, env).done;
  }

  function spawnCli(args: string[], env: Record<string, string> = { OPLEDGER_API_KEY: READER }): CliProcess {
    const process = new CliProcess(args, { OPLEDGER_URL: service.url, ...env });
    started.push(process);
    return process;
  }

  async function emit(...args: string[]): Promise<CliRun> {
    const run = await cli(['emit', ...args, '--key', WRITER]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return run;
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    context = await createTestContext();
    service = await ServiceProcess.start(context, { API_KEYS: `reader:${READER},writer:${WRITER},admin:${ADMIN}` });
  });

  afterAll(async () => {
    for (const process of started) process.kill();
    await service?.stop();
  });

  it('emit appends over HTTP, says so, and reports an idempotent resend as already stored', async () => {
    // An idempotent resend repeats the content, time included (the default time is "now", so it is given).
    const time = new Date().toISOString();
    const created = ['--data', '{"customer":"acme"}', '--event-id', 'cli-1-e1', '--time', time];
    const first = await emit('cli-1', 'operation.created', ...created);
    expect(first.stdout).toBe('appended operation.created to cli-1 as version 1 (event cli-1-e1, position 1)\n');
    const again = await emit(
      'cli-1',
      'operation.created',
      '--time',
      time,
      '--event-id',
      'cli-1-e1',
      '--data',
      '{"customer":"acme"}',
    );
    expect(again.stdout).toBe('event cli-1-e1 was already stored (version 1): nothing changed\n');
    // The same id with other content is refused, and nothing changes.
    const reused = await cli(['emit', 'cli-1', 'operation.created', '--event-id', 'cli-1-e1', '--key', WRITER]);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/^opledger: 409 Event id conflict: .*version 1 of operation cli-1/);
    const json = JSON.parse((await emit('cli-1', 'stage.started', '--stage', 'ingest', '--json')).stdout);
    expect(json).toMatchObject({ event: { type: 'stage.started', data: { stage: 'ingest' } }, stored: { version: 2 } });
  });

  it('get, history, list and stats print tables, or JSON with --json', async () => {
    await emit('cli-2', 'operation.created');
    await emit('cli-2', 'stage.started', '--stage', 'validate');
    await emit('cli-2', 'stage.completed', '--stage', 'validate', '--source', 'pipeline/validate');
    await emit('cli-2', 'metadata.updated', '--data', '{"metadata":{"customer":"globex"}}');
    await emit('cli-2', 'operation.completed', '--data', '{"result":{"rows":7}}');

    const get = await cli(['get', 'cli-2']);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^operation\s+cli-2$/m);
    expect(get.stdout).toMatch(/^status\s+succeeded$/m);
    expect(get.stdout).toMatch(/^version\s+5 \(5 events\)$/m);
    expect(get.stdout).toMatch(/^validate\s+succeeded\s+1\s+.*pipeline\/validate/m);
    const state = JSON.parse((await cli(['get', 'cli-2', '--json'])).stdout);
    expect(state).toMatchObject({
      id: 'cli-2',
      status: 'succeeded',
      result: { rows: 7 },
      metadata: { customer: 'globex' },
    });
    const past = JSON.parse((await cli(['get', 'cli-2', '--at-version', '2', '--json'])).stdout);
    expect(past).toMatchObject({ status: 'running', version: 2 });

    const history = await cli(['history', 'cli-2']);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+TIME\s+TYPE\s+STAGE\s+SOURCE/);
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/)[0])).toEqual(['1', '2', '3', '4', '5']);
    expect(lines[3]).toMatch(/stage\.completed\s+validate\s+pipeline\/validate/);
    const page = JSON.parse((await cli(['history', 'cli-2', '--from-version', '4', '--json'])).stdout);
    expect(page.map((e: { version: number }) => e.version)).toEqual([4, 5]);

    const list = await cli(['list', '--status', 'succeeded']);
    expect(list.stdout).toMatch(/^cli-2\s+succeeded\s+5\s/m);
    expect(list.stdout).not.toMatch(/^cli-1\s/m);
    const listed = JSON.parse((await cli(['list', '--status', 'running,succeeded', '--json'])).stdout);
    expect(listed.items.map((s: { id: string }) => s.id).sort()).toEqual(['cli-1', 'cli-2']);

    const stats = JSON.parse((await cli(['stats', '--json'])).stdout);
    expect(stats).toMatchObject({ byStatus: { succeeded: 1, running: 1 }, runningByStage: { ingest: 1 } });
    const statsText = (await cli(['stats'])).stdout;
    expect(statsText).toMatch(/^succeeded\s+1$/m);
    expect(statsText).toMatch(/^ingest\s+1$/m);

    // Stage analytics: the events were emitted just now, with the service's clock.
    const stages = JSON.parse((await cli(['stats', '--stages', '--window', '15m', '--json'])).stdout);
    expect(stages.window).toBe('15m');
    expect(stages.stages.find((s: { stage: string }) => s.stage === 'validate')).toMatchObject({
      started: 1,
      succeeded: 1,
      failed: 0,
      failureRate: 0,
      durationMs: { count: 1 },
    });
    const stagesText = (await cli(['stats', '--stages'])).stdout;
    expect(stagesText).toMatch(/^stages over the last 1h /m);
    expect(stagesText).toMatch(
      /^STAGE\s+STARTED\s+SUCCEEDED\s+FAILED\s+SKIPPED\s+RUNNING\s+FAILURES\s+P50\s+P95\s+P99$/m,
    );
    expect(stagesText).toMatch(/^validate\s+1\s+1\s+0\s+0\s+0\s+0\.0 %\s+/m);
    expect((await cli(['stats', '--stages', '--window', '2h'])).code).toBe(2);
  });

  it('timeline draws the stages as a Gantt chart scaled to time, with retries and what still runs', async () => {
    const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
    await emit('cli-3', 'operation.created', '--time', t(0));
    await emit('cli-3', 'stage.started', '--stage', 'fetch', '--time', t(0));
    await emit('cli-3', 'stage.completed', '--stage', 'fetch', '--time', t(2));
    await emit('cli-3', 'stage.started', '--stage', 'enrich', '--time', t(2));
    await emit('cli-3', 'stage.failed', '--stage', 'enrich', '--time', t(4), '--data', '{"error":"timeout"}');
    await emit('cli-3', 'stage.started', '--stage', 'enrich', '--time', t(5));
    await emit('cli-3', 'stage.completed', '--stage', 'enrich', '--time', t(8));
    await emit('cli-3', 'operation.completed', '--time', t(10));

    const chart = await cli(['timeline', 'cli-3', '--width', '20']);
    expect(chart.code).toBe(0);
    const rows = chart.stdout.split('\n');
    expect(rows[0]).toBe('operation cli-3 · succeeded · 10.0 s');
    const bar = (name: string) => {
      const row = rows.find((line) => line.startsWith(`${name} `))!;
      return row.slice(row.indexOf('│') + 1, row.lastIndexOf('│'));
    };
    // 20 columns for 10 s: two columns a second.
    expect(bar('fetch')).toBe(`${'█'.repeat(4)}${' '.repeat(16)}`);
    expect(bar('enrich')).toBe(`${' '.repeat(4)}${'░'.repeat(6)}${'█'.repeat(6)}${' '.repeat(4)}`);
    expect(rows.find((line) => line.startsWith('enrich '))).toMatch(/6\.00 s ×2\s+succeeded$/);

    await emit('cli-3', 'operation.restarted', '--time', t(11));
    await emit('cli-3', 'stage.started', '--stage', 'publish', '--time', t(11));
    const running = JSON.parse((await cli(['timeline', 'cli-3', '--json'])).stdout);
    expect(running).toMatchObject({ status: 'running', runningStages: ['publish'] });
    const live = (await cli(['timeline', 'cli-3', '--width', '20'])).stdout;
    expect(live).toMatch(/^publish\s+│\s*▒*▶│/m);
    expect(live.split('\n')[0]).toMatch(/so far · 1 stage running$/);
  });

  it('tail follows one operation and the global feed live over SSE', async () => {
    const following = spawnCli(['tail', 'cli-4', '--after', '0', '--count', '3']);
    await emit('cli-4', 'operation.created');
    await emit('cli-4', 'stage.started', '--stage', 'ingest');
    await emit('cli-4', 'stage.completed', '--stage', 'ingest');
    const run = await following.done;
    expect(run.code).toBe(0);
    const events = run.stdout.split('\n').filter((line) => line.startsWith('v'));
    expect(events.map((line) => line.split(/\s+/)[0])).toEqual(['v1', 'v2', 'v3']);
    expect(events[2]).toMatch(/stage\.completed\s+ingest\s+cli\/opledger$/);

    const head = JSON.parse((await cli(['history', 'cli-4', '--json'])).stdout)[2].position as number;
    const global = spawnCli(['tail', '--after', String(head), '--count', '2', '--json']);
    await emit('cli-5', 'operation.created');
    await emit('cli-4', 'operation.completed');
    const ndjson = (await global.done).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(ndjson.map((line) => `${line.event.subject} ${line.event.type}`)).toEqual([
      'cli-5 operation.created',
      'cli-4 operation.completed',
    ]);
  });

  it('dead-letters lists refused inputs for an admin key', async () => {
    const producer = await connectProducer();
    try {
      await producer.send({ topic: context.topic, messages: [{ key: 'cli-dl', value: 'this is not json' }] });
    } finally {
      await producer.disconnect();
    }
    let listing = '';
    await waitFor('the dead letter to be listed', async () => {
      listing = (await cli(['dead-letters', '--key', ADMIN])).stdout;
      return listing.includes('invalid_json');
    });
    expect(listing).toMatch(/^ID\s+AT\s+REASON/);
    expect(listing).toMatch(/invalid_json\s+kafka\s+\S+\/\d+@\d+\s+cli-dl\s+the value is not valid JSON/);
    const page = JSON.parse((await cli(['dead-letters', '--key', ADMIN, '--json'])).stdout);
    expect(page.items[0]).toMatchObject({ reason: 'invalid_json', key: 'cli-dl', payload: 'this is not json' });

    // Re-published unchanged, the record is refused again: a second dead letter, the first one marked.
    const id = String(page.items[0].id);
    const republished = await cli(['dead-letters', 'republish', id, '999999', '--key', ADMIN]);
    expect(republished).toMatchObject({ code: 0, stderr: '' });
    expect(republished.stdout).toBe(`re-published: ${id}\nnot found (or not from Kafka): 999999\n`);
    await waitFor('the re-published record to be refused again', async () => {
      const again = JSON.parse((await cli(['dead-letters', '--key', ADMIN, '--json'])).stdout);
      return again.items.filter((d: { key: string }) => d.key === 'cli-dl').length === 2;
    });
    const after = JSON.parse((await cli(['dead-letters', '--key', ADMIN, '--json'])).stdout);
    expect(after.items.find((d: { id: number }) => String(d.id) === id)).toMatchObject({ republishCount: 1 });
  });

  it('fails with a clear message and exit code 1 on 401, 403, 404 and an unreachable service', async () => {
    const unauthenticated = await cli(['stats'], {});
    expect(unauthenticated).toMatchObject({ code: 1, stdout: '' });
    expect(unauthenticated.stderr).toBe(
      'opledger: 401 Authentication required: send an API key as "Authorization: Bearer <key>" ' +
        '(pass --key or set OPLEDGER_API_KEY)\n',
    );
    const wrongKey = await cli(['stats', '--key', 'not-a-valid-key-at-all']);
    expect(wrongKey.stderr).toBe(
      'opledger: 401 Authentication required: the API key is not valid (the key was not accepted)\n',
    );

    const forbidden = await cli(['dead-letters']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^opledger: 403 Forbidden: this route needs the admin role; the key has reader/);

    const missing = await cli(['timeline', 'no-such-op']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(
      'opledger: 404 Operation not found: no events have been recorded for operation "no-such-op"\n',
    );

    const conflict = await cli(['emit', 'cli-1', 'custom.noted', '--expected-version', '0', '--key', WRITER]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^opledger: 409 Version conflict: .*current version 2/);

    const port = await findFreePort();
    const down = await cli(['get', 'cli-1', '--url', `http://127.0.0.1:${port}`]);
    expect(down).toMatchObject({ code: 1, stdout: '' });
    expect(down.stderr).toBe(
      `opledger: cannot reach opledger at http://127.0.0.1:${port}: connection refused (is the service running?)\n`,
    );
  });

  it('refuses bad arguments with exit code 2 before calling the service', async () => {
    const badId = await cli(['get', 'not an id!']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('"not an id!" is not an operation id');
    const badStatus = await cli(['list', '--status', 'done']);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status: "done" is not one of');
    const noStage = await cli(['emit', 'cli-9', 'stage.started', '--key', WRITER]);
    expect(noStage).toMatchObject({ code: 2, stderr: 'opledger: stage.started needs a stage: --stage NAME\n' });
    const badUrl = await cli(['stats', '--url', 'ftp://example']);
    expect(badUrl.code).toBe(2);
    // The refused emit never reached the service.
    expect((await cli(['get', 'cli-9'])).code).toBe(1);
  });
});
