import type { OperationEvent } from '../../src/envelope/operation-event';
import { EventStore } from '../../src/event-store/event-store.service';
import { OperationRebuilder } from '../../src/replay/operation-rebuild';
import { ProjectionRebuilder } from '../../src/replay/projection-rebuilder';
import {
  operationEvent,
  createTestContext,
  queryDatabase,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { runSourceCli } from '../support/source-cli';

describe('replay: verify against the log, single-operation rebuild', () => {
  let context: TestContext;
  let service: RunningApp;
  let store: EventStore;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false' });
    store = service.app.get(EventStore);
    const events: OperationEvent[] = [];
    for (let i = 0; i < 200; i += 1) {
      const id = `doc-${String(i).padStart(3, '0')}`;
      events.push(
        operationEvent(id, 'operation.created'),
        operationEvent(id, 'stage.started', { stage: 'ocr' }),
        operationEvent(id, 'metadata.updated', { metadata: { pages: i } }),
        operationEvent(id, i % 2 === 0 ? 'stage.completed' : 'stage.failed', { stage: 'ocr', error: 'blurred' }),
      );
    }
    await store.append(events);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('finds no difference in an intact projection (opledger replay --verify exits 0)', async () => {
    const run = await runSourceCli(['replay', '--verify', '--page-size', '50'], context.databaseUrl);
    expect(run.stderr).not.toContain('opledger:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the live projection matches the log (200 operations');
    // Non-TTY stderr gets plain progress lines, not a redrawn bar.
    expect(run.stderr).toMatch(/^verify job \d+: bulk/m);
    expect(run.stderr).not.toContain('\r');
  });

  it('catches drift in the live projection and exits 1 naming examples', async () => {
    await queryDatabase(
      context.databaseUrl,
      `UPDATE operations SET state = jsonb_set(state, '{metadata,pages}', '999') WHERE id = 'doc-007'`,
    );
    await queryDatabase(context.databaseUrl, `UPDATE operations SET version = 2 WHERE id = 'doc-008'`);
    await queryDatabase(context.databaseUrl, `DELETE FROM operations WHERE id = 'doc-009'`);

    const run = await runSourceCli(['replay', '--verify'], context.databaseUrl);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('3 operation(s) differ from the log');
    expect(run.stdout).toMatch(/doc-007 +live version 4, rebuilt version 4; differs in state/);
    expect(run.stdout).toMatch(/doc-008 +live version 2, rebuilt version 4; differs in version/);
    expect(run.stdout).toMatch(/doc-009 +missing from the live projection \(rebuilt version 4\)/);
    // The verify's shadow table is gone; the live projection was not touched.
    const shadows = await queryDatabase(
      context.databaseUrl,
      `SELECT 1 FROM pg_tables WHERE tablename LIKE 'operations\\_verify\\_%'`,
    );
    expect(shadows).toHaveLength(0);
    const [row] = await queryDatabase<{ version: number }>(
      context.databaseUrl,
      `SELECT version FROM operations WHERE id = 'doc-008'`,
    );
    expect(row.version).toBe(2);
  });

  it('repairs one operation in place (opledger replay --operation ID)', async () => {
    const run = await runSourceCli(['replay', '--operation', 'doc-007'], context.databaseUrl);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('operation doc-007 rebuilt at version 4: the projection (version 4) was wrong');
    const state = await service.http().get('/v1/operations/doc-007').expect(200);
    expect(state.body.metadata).toEqual({ pages: 7 });

    const rebuilder = service.app.get(OperationRebuilder);
    expect(await rebuilder.rebuild('doc-008')).toEqual({
      operationId: 'doc-008',
      versionBefore: 2,
      versionAfter: 4,
      changed: true,
    });
    expect(await rebuilder.rebuild('doc-009')).toMatchObject({ versionBefore: null, versionAfter: 4, changed: true });
    expect(await rebuilder.rebuild('doc-009')).toMatchObject({ versionBefore: 4, versionAfter: 4, changed: false });
    expect(await rebuilder.rebuild('never-seen')).toMatchObject({ versionBefore: null, versionAfter: null });
    await service.http().get('/v1/operations/never-seen').expect(404);

    const verify = await (await service.app.get(ProjectionRebuilder).startVerify()).done;
    expect(verify.report).toMatchObject({ differences: 0, examples: [] });
  });

  it('reports no false difference while ingest goes on during the verify', async () => {
    let writing = true;
    const writer = async () => {
      for (let n = 0; writing; n += 1) {
        await store.append([
          operationEvent(`doc-${String(n % 200).padStart(3, '0')}`, 'metadata.updated', { metadata: { n } }),
        ]);
      }
    };
    const writing$ = writer();
    const verify = await (await service.app.get(ProjectionRebuilder).startVerify({ pageSize: 20 })).done;
    writing = false;
    await writing$;
    expect(verify.status).toBe('succeeded');
    expect(verify.report!.differences).toBe(0);
  });

  it('refuses bad usage with exit code 2 before touching anything', async () => {
    const conflicting = await runSourceCli(['replay', '--verify', '--operation', 'doc-001'], context.databaseUrl);
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toContain("cannot be used with option '--operation <id>'");
    const badId = await runSourceCli(['replay', '--operation', 'not valid!'], context.databaseUrl);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('--operation must be an operation id');
  });
});
