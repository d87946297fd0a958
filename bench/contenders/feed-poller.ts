/**
 * Watches what the service commits by polling the log in position order
 * (the global feed's own query) every few milliseconds. The append-order lock
 * makes this gap-safe: nothing can commit below a position already seen, so
 * "after the highest position seen" never skips an event. An event's log row
 * and its projection commit in one transaction, so seeing the row means the
 * projection shows it too.
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
  let after = '0';
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ position: string; event_id: string }>(
        'SELECT position, event_id FROM operation_events WHERE position > $1 ORDER BY position LIMIT 20000',
        [after],
      );
      const at = Date.now();
      for (const row of rows) onVisible(row.event_id, at);
      if (rows.length > 0) after = rows[rows.length - 1].position;
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
