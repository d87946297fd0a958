import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { compareFeedCursors, encodeFeedCursor, type FeedCursor } from '../../src/contract/feed-cursor';
import { EventStore } from '../../src/event-store/event-store.service';
import {
  createTestContext,
  operationEvent,
  type RunningApp,
  startTestApp,
  type TestContext,
  uniqueName,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Appends run in parallel (no global lock), so a transaction can commit its events after later
 * transactions committed theirs, at positions below theirs or above. The feed must neither skip
 * the late ones nor deliver anything twice; what it may do is hold back until they commit.
 *
 * The bound is cluster-wide: other test files' transactions (other databases of the same
 * Postgres) hold this feed back too, for as long as they run. So what the feed shows after a
 * commit is awaited (readUntil), while what it must not show yet is asserted at once.
 */
describe('global feed with a transaction held open', () => {
  let context: TestContext;
  let service: RunningApp;
  let store: EventStore;
  let dataSource: DataSource;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false' });
    store = service.app.get(EventStore);
    dataSource = service.app.get(DataSource);
  });

  afterAll(async () => {
    await service?.close();
  });

  /** Every event after `after` in feed order, read as a poller would (pages of 2). */
  async function drain(after: FeedCursor): Promise<{ ids: string[]; cursor: FeedCursor }> {
    const ids: string[] = [];
    let cursor = after;
    for (;;) {
      const page = await store.readFeed(cursor, 2);
      for (const event of page) {
        expect(compareFeedCursors(event.cursor, cursor)).toBeGreaterThan(0);
        ids.push(event.id);
        cursor = event.cursor;
      }
      if (page.length < 2) return { ids, cursor };
    }
  }

  /** Polls the feed after `after` until it has shown `count` events (each checked as in drain). */
  async function readUntil(after: FeedCursor, count: number): Promise<{ ids: string[]; cursor: FeedCursor }> {
    const read = { ids: [] as string[], cursor: after };
    await waitFor(`${count} events on the feed`, async () => {
      const more = await drain(read.cursor);
      read.ids.push(...more.ids);
      read.cursor = more.cursor;
      return read.ids.length >= count;
    });
    return read;
  }

  /** Appends through the store (each call one committed transaction); returns the ids. */
  async function appendCommitted(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const event = operationEvent(uniqueName('committed'), 'custom.noted');
      const [outcome] = await store.append([event]);
      expect(outcome.status).toBe('appended');
      ids.push(event.id);
    }
    return ids;
  }

  /**
   * Inserts events of a new operation into the log in `client`'s open transaction, as an append does
   * between its insert and its commit. (Not through opledger_append_events: its counters are striped
   * by connection, and a held append would make the appends below wait for its stripe's rows.)
   */
  async function insertInOpenTransaction(client: Client, count: number): Promise<string[]> {
    const operationId = uniqueName('held');
    const ids = Array.from({ length: count }, (_, i) => `${operationId}-e${i + 1}`);
    await client.query(
      `INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
       SELECT $1, v, $1 || '-e' || v, 'custom.noted', 'test/held', now(), '{}' FROM generate_series(1, $2::int) AS v`,
      [operationId, count],
    );
    return ids;
  }

  it('holds back behind an open transaction, then delivers its events and the later ones, each once', async () => {
    const start = await store.feedHead();
    const naiveStart = Number(
      (await dataSource.query('SELECT coalesce(max(position), 0) AS p FROM operation_events'))[0].p,
    );

    const held = new Client({ connectionString: context.databaseUrl });
    await held.connect();
    try {
      await held.query('BEGIN');
      // The transaction id is taken now: it is older than every append below.
      await held.query('SELECT pg_current_xact_id()');
      const before = await appendCommitted(3);
      // Its events are inserted after those committed appends took their positions…
      const heldIds = await insertInOpenTransaction(held, 2);
      // …and more appends commit while it stays open, at positions above its own.
      const after = await appendCommitted(3);

      // Nothing newer than the open transaction is shown yet: showing `before` now would let a
      // reader pass positions of the held events' transaction before they are visible.
      expect((await drain(start)).ids).toEqual([]);
      const lag = await store.feedLag();
      expect(lag.heldEvents).toBeGreaterThanOrEqual(before.length + after.length);
      expect(lag.lagSeconds).toBeGreaterThan(0);

      // What a reader in position order would have done: it sees `before` and `after` now…
      const naive = await dataSource.query(
        'SELECT event_id, position FROM operation_events WHERE position > $1 ORDER BY position',
        [naiveStart],
      );
      expect(naive.map((r: { event_id: string }) => r.event_id)).toEqual([...before, ...after]);
      const naiveCursor = Number(naive.at(-1).position);

      await held.query('COMMIT');

      // …and, past the held events' positions, never sees them.
      const naiveLater = await dataSource.query(
        'SELECT event_id FROM operation_events WHERE position > $1 ORDER BY position',
        [naiveCursor],
      );
      expect(naiveLater).toEqual([]);

      // The feed: the held transaction's events first (it is the oldest), then the others, once each.
      const delivered = await readUntil(start, heldIds.length + before.length + after.length);
      expect(delivered.ids).toEqual([...heldIds, ...before, ...after]);
      expect((await drain(delivered.cursor)).ids).toEqual([]);
    } finally {
      await held.end();
    }
  });

  it('serves the same through the API: nextAfter cursors, and a bare position as after', async () => {
    const ids = await appendCommitted(3);
    let head = await service.http().get('/v1/events?after=0&limit=1000').expect(200);
    await waitFor('the three events on the feed', async () => {
      head = await service.http().get('/v1/events?after=0&limit=1000').expect(200);
      return head.body.events.length > 0 && head.body.events.at(-1).id === ids[2];
    });
    const all: { id: string; position: number }[] = head.body.events;
    expect(all.slice(-3).map((e) => e.id)).toEqual(ids);
    expect(typeof head.body.nextAfter).toBe('string');

    // A bare position (the cursor before issue 17): after the event stored at it.
    const second = all[all.length - 2];
    const byPosition = await service.http().get(`/v1/events?after=${second.position}`).expect(200);
    expect(byPosition.body.events.map((e: { id: string }) => e.id)).toEqual([ids[2]]);
    expect(byPosition.body.nextAfter).toBe(head.body.nextAfter);

    const empty = await service.http().get(`/v1/events?after=${head.body.nextAfter}`).expect(200);
    expect(empty.body).toEqual({ events: [], nextAfter: head.body.nextAfter });
    // Nothing was appended since: "now" on the feed is the same cursor (once no other transaction holds it back).
    await waitFor(
      'the feed head to reach the last event',
      async () => encodeFeedCursor(await store.feedHead()) === head.body.nextAfter,
    );
  });

  it('exports how far a long transaction holds the feed back as metrics', async () => {
    const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const held = new Client({ connectionString: context.databaseUrl });
    await held.connect();
    try {
      await held.query('BEGIN');
      await held.query('SELECT pg_current_xact_id()');
      await appendCommitted(2);
      const during = (await service.http().get('/metrics').expect(200)).text;
      expect(gauge(during, 'opledger_feed_held_events')).toBeGreaterThanOrEqual(2);
      expect(gauge(during, 'opledger_feed_lag_seconds')).toBeGreaterThan(0);
    } finally {
      await held.query('COMMIT');
      await held.end();
    }
    await waitFor('the feed to catch up', async () => {
      const after = (await service.http().get('/metrics').expect(200)).text;
      return gauge(after, 'opledger_feed_held_events') === 0 && gauge(after, 'opledger_feed_lag_seconds') === 0;
    });
  });
});
