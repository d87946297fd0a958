/**
 * Watches what the service commits by polling the log in feed order (the
 * global feed's own rule, src/event-store/log/event-feed.ts) every few
 * milliseconds: (xid, position) order, only transactions older than the oldest
 * one running, so "after the last event seen" never skips one although appends
 * commit in parallel. An event's log row and its projection commit in one
 * transaction, so seeing the row means the projection shows it too.
 */
import { Client } from 'pg';

const POLL_MS = 5;

export interface FeedPoller {
  stop(): Promise<void>;
}

export async function pollFeed(
  databaseUrl: string,
  onVisible: (eventId: string, at: number) => void,
): Promise<FeedPoller> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let after = { xid: '0', position: '0' };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ feed_xid: string; feed_position: string; event_id: string }>(
        `SELECT xid::text AS feed_xid, position::text AS feed_position, event_id FROM operation_events
         WHERE (xid, position) > ($1::text::xid8, $2::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY operation_events.xid, operation_events.position LIMIT 20000`,
        [after.xid, after.position],
      );
      const at = Date.now();
      for (const row of rows) onVisible(row.event_id, at);
      const last = rows.at(-1);
      if (last) after = { xid: last.feed_xid, position: last.feed_position };
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await client.end();
    },
  };
}
