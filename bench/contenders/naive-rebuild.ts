/**
 * The rebuild baseline: the obvious hand-written rebuild, one operation at a
 * time: read its events, fold them, write its row. (The seed design has no
 * log, so it cannot rebuild at all; this is the next simplest thing.)
 */
import { Client } from 'pg';
import { STORED_EVENT_COLUMNS, toStoredEvent, type StoredEventRow } from '../../src/event-store/log/stored-event-row';
import { foldEvents } from '../../src/projection/operation-fold';

export async function naiveRebuild(databaseUrl: string): Promise<{ operations: number; events: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let events = 0;
  try {
    const ids = (await client.query<{ id: string }>('SELECT id FROM operations ORDER BY id')).rows.map((r) => r.id);
    for (const id of ids) {
      const { rows } = await client.query<StoredEventRow>(
        `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events WHERE operation_id = $1 ORDER BY version`,
        [id],
      );
      const projection = foldEvents(rows.map(toStoredEvent));
      if (!projection) continue;
      events += rows.length;
      await client.query(
        `UPDATE operations SET version = $2, status = $3, state = $4::jsonb, memo = $5::jsonb, projected_at = now() WHERE id = $1`,
        [
          id,
          projection.state.version,
          projection.state.status,
          JSON.stringify(projection.state),
          JSON.stringify(projection.memo),
        ],
      );
    }
    return { operations: ids.length, events };
  } finally {
    await client.end();
  }
}
