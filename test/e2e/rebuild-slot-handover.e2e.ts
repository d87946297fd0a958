import { Client } from 'pg';
import { REBUILD_SLOT, REPLAY_LOCK_NAMESPACE } from '../../src/replay/jobs/replay-job-lease';
import { createTestContext, type RunningApp, startTestApp, type TestContext } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

/**
 * A rebuild records its end (in the swap's transaction) before its lease lets the rebuild slot go. A
 * client that saw "succeeded" and starts the next rebuild at once must not be told that one is still
 * running. Here a plain session holds the slot, as the lease of a job that has just ended does.
 */
describe('rebuild slot handed over by a job that has just ended', () => {
  let context: TestContext;
  let service: RunningApp;
  let holder: Client;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false', API_KEYS: `admin:${ADMIN_KEY}` });
  });

  beforeEach(async () => {
    holder = new Client({ connectionString: context.databaseUrl });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', [REPLAY_LOCK_NAMESPACE, REBUILD_SLOT]);
  });

  afterEach(async () => {
    await holder.end();
  });

  afterAll(async () => {
    await service?.close();
  });

  /** Sessions waiting for the rebuild slot's lock (not holding it). */
  async function waitersForSlot(): Promise<number> {
    const { rows } = await holder.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2`,
      [REPLAY_LOCK_NAMESPACE, REBUILD_SLOT],
    );
    return rows[0].n;
  }

  it('waits for a slot whose holder records no running rebuild, and starts once it is let go', async () => {
    const start = service.http().post('/v1/admin/projections/rebuild').set(admin);
    let settled = false;
    const answered = start.then((response) => {
      settled = true;
      return response;
    });
    // Settled before it waited: the service answered at once (the assertion below says with what).
    await waitFor('the new rebuild to wait for the slot', async () => settled || (await waitersForSlot()) === 1);
    await holder.query('SELECT pg_advisory_unlock($1::int, $2::int)', [REPLAY_LOCK_NAMESPACE, REBUILD_SLOT]);
    const response = await answered;
    expect(response.status).toBe(202);
    const jobId = response.body.jobId as number;
    await waitFor(
      'the rebuild to succeed',
      async () =>
        (await service.http().get(`/v1/admin/projections/rebuild/${jobId}`).set(admin).expect(200)).body.status ===
        'succeeded',
    );
  });

  it('refuses with 409 when the slot is not let go in time', async () => {
    const response = await service.http().post('/v1/admin/projections/rebuild').set(admin);
    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, type: expect.stringContaining('rebuild-in-progress') });
  });
});
