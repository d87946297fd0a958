import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EventStore } from '../../src/event-store/event-store.service';
import {
  operationEvent,
  createTestContext,
  createTestDatabase,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { runSourceCli } from '../support/source-cli';

const PROJECTION = `SELECT id, version, status, state, memo, created_at, updated_at, last_position, first_position
                    FROM operations ORDER BY id`;
const LOG = `SELECT position, operation_id, version, event_id, type, source, occurred_at, data
             FROM operation_events ORDER BY position`;

describe('replay: export and import the log (backup and restore)', () => {
  let source: TestContext;
  let service: RunningApp;
  const folder = mkdtempSync(join(tmpdir(), 'opledger-backup-'));

  beforeAll(async () => {
    source = await createTestContext();
    service = await startTestApp(source, { INGEST_ENABLED: 'false' });
    const store = service.app.get(EventStore);
    for (let i = 0; i < 120; i += 1) {
      const id = `ship-${i}`;
      await store.append([
        operationEvent(id, 'operation.created', { origin: 'test' }),
        operationEvent(id, 'stage.started', { stage: 'pack' }),
        operationEvent(id, 'metadata.updated', {
          metadata: { weight: i, fragile: i % 3 === 0, notes: 'ünïcödé "quoted"' },
        }),
        operationEvent(id, i % 5 === 0 ? 'operation.cancelled' : 'stage.completed', {
          stage: 'pack',
          reason: 'customer',
        }),
      ]);
    }
  });

  afterAll(async () => {
    await service?.close();
  });

  it('round-trips: export, import into an empty database, rebuild, identical projection and log', async () => {
    const file = join(folder, 'log.ndjson.gz');
    const exported = await runSourceCli(['export', '--out', file], source.databaseUrl);
    expect(exported.stderr).not.toContain('opledger:');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('exported 480 events (positions 0 < p <= 480)');
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(480);
    expect(JSON.parse(lines[0])).toMatchObject({
      specversion: '1.0',
      subject: 'ship-0',
      type: 'operation.created',
      data: { origin: 'test' },
      version: 1,
      position: 1,
    });

    const target = await createTestDatabase();
    const imported = await runSourceCli(['import', file, '--batch-size', '100'], target);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('480 lines, 480 appended, 0 already in the log');

    // Importing again changes nothing: every event id is already there.
    const before = await queryDatabase(target, `SELECT *, projected_at::text AS at FROM operations ORDER BY id`);
    const again = await runSourceCli(['import', file], target);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('480 lines, 0 appended, 480 already in the log');
    expect(await queryDatabase(target, `SELECT *, projected_at::text AS at FROM operations ORDER BY id`)).toEqual(
      before,
    );

    const rebuilt = await runSourceCli(['replay'], target);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/rebuild job \d+ succeeded .*480 events of 120 operations folded/);

    const sourceProjection = await queryDatabase(source.databaseUrl, PROJECTION);
    expect(sourceProjection).toHaveLength(120);
    expect(await queryDatabase(target, PROJECTION)).toEqual(sourceProjection);
    expect(await queryDatabase(target, LOG)).toEqual(await queryDatabase(source.databaseUrl, LOG));
  });

  it('exports only what follows a position (incremental backup), uncompressed for a plain file name', async () => {
    const file = join(folder, 'tail.ndjson');
    const run = await runSourceCli(['export', '--out', file, '--after', '400'], source.databaseUrl);
    expect(run.code).toBe(0);
    const positions = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).position);
    expect(positions).toEqual(Array.from({ length: 80 }, (_, i) => 401 + i));
  });

  it('stops at a corrupt line with exit code 1 and names it', async () => {
    const file = join(folder, 'tail.ndjson');
    const broken = join(folder, 'broken.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(2, 0, '{"specversion":"1.0","id":"x"}');
    writeFileSync(broken, lines.join('\n'));
    const run = await runSourceCli(['import', broken], await createTestDatabase());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 3:');
  });
});
