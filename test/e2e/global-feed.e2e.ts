import { compareFeedCursors, parseFeedCursor } from '../../src/contract/feed-cursor';
import { EventStore } from '../../src/event-store/event-store.service';
import { waitFor } from '../support/wait-for';
import { createTestContext, operationEvent, type RunningApp, startTestApp } from '../support/test-app';

describe('global feed under concurrent writers', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), { INGEST_ENABLED: 'false', DATABASE_POOL_SIZE: '20' });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('lets a polling reader see every event exactly once, in feed order', async () => {
    const store = service.app.get(EventStore);
    const writers = 12;
    const batchesPerWriter = 25;
    const written: string[] = [];
    let writing = true;

    const writer = async (w: number) => {
      for (let b = 0; b < batchesPerWriter; b += 1) {
        // Batches of varying size over shared and private operations make transactions
        // commit out of the order in which they took their positions, if nothing prevents it.
        const batch = Array.from({ length: 1 + ((w + b) % 4) }, (_, i) =>
          operationEvent(i % 2 === 0 ? `shared-${b % 3}` : `writer-${w}`, 'custom.noted'),
        );
        await store.append(batch);
        written.push(...batch.map((e) => e.id));
      }
    };

    const seen: string[] = [];
    const cursors: string[] = [];
    let after = '0';
    const poll = async () => {
      const response = await service.http().get(`/v1/events?after=${after}&limit=50`).expect(200);
      for (const event of response.body.events) seen.push(event.id);
      after = response.body.nextAfter;
      if (response.body.events.length > 0) cursors.push(after);
      return response.body.events.length;
    };
    const reader = async () => {
      while (writing) await poll();
      // Other databases' transactions on the same Postgres may hold the feed back for a moment
      // (the bound is cluster-wide): wait for everything written, then check nothing more comes.
      await waitFor(
        'every written event on the feed',
        async () => (await poll()) >= 0 && seen.length >= written.length,
      );
      expect(await poll()).toBe(0);
    };

    const readerDone = reader();
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    writing = false;
    await readerDone;

    expect(written).toHaveLength(writers * batchesPerWriter * 2.5);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...written].sort());
    // Each page ends strictly further on in feed order (transaction id, then position).
    const ordered = cursors.map((c) => {
      const parsed = parseFeedCursor(c);
      if (parsed.kind !== 'cursor') throw new Error(`nextAfter ${c} is not a cursor`);
      return parsed.cursor;
    });
    for (let i = 1; i < ordered.length; i += 1) {
      expect(compareFeedCursors(ordered[i], ordered[i - 1])).toBeGreaterThan(0);
    }
  });

  it('refuses a malformed cursor with a problem naming the parameter', async () => {
    const response = await service.http().get('/v1/events?after=-1').expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, field: 'after' });
    const unknown = await service.http().get('/v1/events?sort=desc').expect(400);
    expect(unknown.body.detail).toContain('sort');
  });
});
