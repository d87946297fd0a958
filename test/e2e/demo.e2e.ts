import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpledgerApi } from '../../src/client';
import type { DocumentOutcome } from '../../src/demo/simulated-pipeline';
import { findFreePort } from '../../src/local-infra/free-port';
import { createTestContext, queryDatabase, type TestContext } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { testInfrastructure } from '../support/test-env';

const DEMO = join(__dirname, '..', '..', 'dist', 'demo', 'run-demo.js');
const DOCUMENTS = 40;

interface DemoReport {
  runId: string;
  url: string;
  charted: string | null;
  outcomes: DocumentOutcome[];
}

describe('npm run demo', () => {
  let context: TestContext;
  let service: ServiceProcess | null = null;
  const scratch = mkdtempSync(join(tmpdir(), 'opledger-demo-'));

  afterAll(async () => {
    await service?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs a small pipeline to the end, stops by itself, and leaves every operation as the pipeline decided', async () => {
    if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: run "npm run build" first`);
    context = await createTestContext();
    const reportFile = join(scratch, 'report.json');
    const child = spawn(
      process.execPath,
      [DEMO, '--documents', String(DOCUMENTS), '--speed', '0.1', '--concurrency', '10', '--report', reportFile],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: context.databaseUrl,
          KAFKA_BROKERS: testInfrastructure().brokers.join(','),
          KAFKA_TOPIC: context.topic,
          KAFKA_GROUP_ID: context.groupId,
          KAFKA_TOPIC_PARTITIONS: '3',
          PORT: String(await findFreePort()),
          DATA_DIR: join(scratch, 'data'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`the demo exited with ${code}:\n${stdout}\n${stderr}`);

    // It told the story: a live summary, the totals, and the chart of an operation with a retry.
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as DemoReport;
    expect(stdout).toMatch(/documents \d+\/40 started │ in progress \d+ │ succeeded \d+ │ failed \d+ │ \d+ events\/s/);
    expect(stdout).toMatch(/done in .*: \d+ succeeded, \d+ failed, 0 interrupted/);
    expect(stdout).toContain(`operation ${report.charted} · `);
    expect(stdout).toContain(`watch it in the console: ${report.url}/console/operations`);
    expect(stdout).toMatch(/^enrich-geo\s+│[ ░█✗]+│/m);
    expect(stderr).toContain('stopping the pipeline, opledger, Kafka and Postgres');

    // Its end state, read back through the API of a fresh service on the same database.
    service = await ServiceProcess.start(context, { INGEST_ENABLED: 'false' });
    const api = new OpledgerApi({ url: service.url });
    expect(report.outcomes).toHaveLength(DOCUMENTS);
    for (const outcome of report.outcomes) {
      const state = await api.getOperation(outcome.id);
      expect({ id: state.id, status: state.status }).toEqual({ id: outcome.id, status: outcome.status });
      // Duplicate sends are stored once: the log holds exactly the distinct event ids.
      expect(state.eventCount).toBe(outcome.eventIds.length);
      // Late events were stored but decided nothing against newer ones.
      expect(state.metadata.priority).toBe(outcome.expectedPriority);
      for (const [stage, attempts] of Object.entries(outcome.attempts)) {
        expect(state.stages[stage]?.attempts).toBe(attempts);
      }
    }
    const stats = await api.stats();
    expect(stats.total).toBe(DOCUMENTS);
    expect(stats.inProgress).toBe(0);

    const stored = await queryDatabase<{ event_id: string }>(
      context.databaseUrl,
      'SELECT event_id FROM operation_events',
    );
    expect(new Set(stored.map((row) => row.event_id))).toEqual(new Set(report.outcomes.flatMap((o) => o.eventIds)));
    // At this size the chaos shows: retries, duplicate sends and late events all happened.
    const charted = report.outcomes.find((o) => o.id === report.charted)!;
    expect(Math.max(...Object.values(charted.attempts))).toBeGreaterThan(1);
    expect(report.outcomes.some((o) => o.duplicateSends > 0)).toBe(true);
    expect(report.outcomes.some((o) => o.lateMetadata)).toBe(true);
  }, 240_000);
});
