import type { OperationEvent } from '../../src/envelope/operation-event';
import { EventStore } from '../../src/event-store/event-store.service';
import { createTestContext, operationEvent, type RunningApp, startTestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const REBUILDS = 20;

/**
 * A rebuild's swap locks the live projection, then drops and renames it and its read models. A read
 * whose statement touches two of those tables (the list filtered by stage and status, the counters)
 * locks them one after the other: holding the first while the swap holds the second and waits for the
 * first is a deadlock, and Postgres rolls one side back. Found by the chaos suite's HTTP fuzzer as a
 * rare 500 on `GET /v1/operations?status=running&stage=…` while a fuzzed request had started a rebuild.
 */
describe('operator reads while rebuilds swap the projection in', () => {
  let service: RunningApp;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    const context = await createTestContext();
    service = await startTestApp(context, {
      INGEST_ENABLED: 'false',
      DATABASE_POOL_SIZE: '20',
      API_KEYS: `admin:${ADMIN_KEY}`,
    });
    const events: OperationEvent[] = [];
    for (let i = 0; i < 300; i += 1) {
      const id = `swap-read-${String(i).padStart(3, '0')}`;
      events.push(operationEvent(id, 'stage.started', { stage: i % 2 === 0 ? 'ocr' : 'classify' }));
    }
    await service.app.get(EventStore).append(events);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('answers every list, stats and stage-stats read through repeated swaps, and every swap commits', async () => {
    const reads = ['/v1/operations?status=running&stage=ocr', '/v1/stats', '/v1/stats/stages?window=15m'];
    const failures: string[] = [];
    const answered = new Map<string, number>();
    let rebuilding = true;
    const reader = async (path: string) => {
      while (rebuilding) {
        const response = await service.http().get(path).set(admin);
        answered.set(path, (answered.get(path) ?? 0) + 1);
        if (response.status !== 200) failures.push(`${path} → ${response.status} ${JSON.stringify(response.body)}`);
      }
    };
    const readers = [...reads, ...reads].map((path) => reader(path));

    const jobs: { jobId: number; status: string; error?: unknown }[] = [];
    try {
      for (let i = 0; i < REBUILDS; i += 1) {
        const started = await service.http().post('/v1/admin/projections/rebuild').set(admin).expect(202);
        const jobId = started.body.jobId as number;
        let job: { status: string; error?: unknown } = { status: 'running' };
        await waitFor(`rebuild ${jobId} to end`, async () => {
          job = (await service.http().get(`/v1/admin/projections/rebuild/${jobId}`).set(admin).expect(200)).body;
          return job.status !== 'running' && job.status !== 'pending';
        });
        jobs.push({ jobId, ...job });
      }
    } finally {
      rebuilding = false;
      await Promise.all(readers);
    }

    expect(failures.slice(0, 5)).toEqual([]);
    expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    // Every read ran throughout, not once before the first swap.
    for (const path of reads) expect(answered.get(path)).toBeGreaterThan(REBUILDS);
    const list = await service.http().get('/v1/operations?status=running&stage=ocr&limit=500').set(admin).expect(200);
    expect(list.body.items).toHaveLength(150);
  });
});
