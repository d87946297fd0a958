import { FEED_START, type FeedCursor } from '../../contract/feed-cursor';
import type { StoredEvent } from '../../envelope/operation-event';
import { toGlobalPosition } from '../global-position';
import { selectRows, type SqlRunner } from '../sql';
import { STORED_EVENT_COLUMNS, type StoredEventRow, toStoredEvent } from './stored-event-row';

/** An event as the global feed delivers it: with the cursor a reader resumes after. */
export type FeedEvent = StoredEvent & { cursor: FeedCursor };

/**
 * The feed's visibility rule, evaluated in the reading statement's own snapshot: only the events of
 * transactions older than the oldest transaction still running. All of those have ended, so in
 * (xid, position) order no event can later become visible in front of one already read: a writer
 * still running when a reader passed holds a transaction id at or above this bound, and its events
 * sort after everything that reader saw. A long transaction holds the feed back; it never makes a
 * reader skip (docs/consistency.md).
 */
const VISIBLE = 'xid < pg_snapshot_xmin(pg_current_snapshot())';

/** Events held back more than this are reported as this many: the count is a scrape-time query. */
const HELD_COUNT_CAP = 100_000;

type FeedRow = StoredEventRow & { feed_xid: string };

const toFeedEvent = (row: FeedRow): FeedEvent => ({
  ...toStoredEvent(row),
  cursor: { xid: BigInt(row.feed_xid), position: toGlobalPosition(row.position) },
});

// Output columns are named apart from the table's: ORDER BY would otherwise sort the text forms.
interface CursorRow {
  feed_xid: string;
  feed_position: string;
}

const cursorOf = (row: CursorRow): FeedCursor => ({
  xid: BigInt(row.feed_xid),
  position: toGlobalPosition(row.feed_position),
});

/** Events after `after` in feed order, at most `limit`; over the (xid, position) index. */
export async function readFeedPage(db: SqlRunner, after: FeedCursor, limit: number): Promise<FeedEvent[]> {
  const rows = await selectRows<FeedRow>(
    db,
    `SELECT ${STORED_EVENT_COLUMNS}, xid::text AS feed_xid FROM operation_events
     WHERE (xid, position) > ($1::text::xid8, $2::bigint) AND ${VISIBLE}
     ORDER BY operation_events.xid, operation_events.position LIMIT $3`,
    [after.xid.toString(), after.position, limit],
  );
  return rows.map(toFeedEvent);
}

/** The cursor of the last event the feed shows now ("now" on the feed); the start for an empty log. */
export async function readFeedHead(db: SqlRunner): Promise<FeedCursor> {
  const [row] = await selectRows<CursorRow>(
    db,
    `SELECT xid::text AS feed_xid, position::text AS feed_position FROM operation_events
     WHERE ${VISIBLE} ORDER BY operation_events.xid DESC, operation_events.position DESC LIMIT 1`,
  );
  return row ? cursorOf(row) : FEED_START;
}

/**
 * A bare global position given as a cursor (the form before issue 17): after the event stored at
 * it, or at the nearest position below it (an aborted append leaves unused positions); 0 and any
 * position before the first event are the start.
 */
export async function feedCursorAtPosition(db: SqlRunner, position: number): Promise<FeedCursor> {
  if (position === 0) return FEED_START;
  const [row] = await selectRows<CursorRow>(
    db,
    `SELECT xid::text AS feed_xid, position::text AS feed_position FROM operation_events
     WHERE position <= $1 ORDER BY operation_events.position DESC LIMIT 1`,
    [position],
  );
  return row ? cursorOf(row) : FEED_START;
}

export interface FeedLag {
  /** Committed events the feed does not show yet, because an older transaction is still running (capped). */
  heldEvents: number;
  /** Age of the oldest of them, in seconds (0 when none is held back). */
  lagSeconds: number;
}

/** How far the feed is behind the log; scanned from the top of the (xid, position) index. */
export async function readFeedLag(db: SqlRunner): Promise<FeedLag> {
  const [row] = await selectRows<{ held: string; lag: string | null }>(
    db,
    `SELECT count(*) AS held, extract(epoch FROM clock_timestamp() - min(recorded_at))::text AS lag
     FROM (SELECT recorded_at FROM operation_events WHERE NOT (${VISIBLE}) LIMIT ${HELD_COUNT_CAP}) AS held`,
  );
  const held = Number(row.held);
  return { heldEvents: held, lagSeconds: held > 0 ? Math.max(0, Number(row.lag ?? 0)) : 0 };
}
