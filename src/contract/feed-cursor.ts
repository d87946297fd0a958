/**
 * Where a reader of the global feed (GET /v1/events, GET /v1/events/watch) stands.
 *
 * Appends run in parallel, so positions do not become visible in the order they were
 * assigned. The feed is therefore ordered by (the writing transaction's id, position) and
 * shows only the events of transactions older than the oldest one still running
 * (docs/consistency.md, "The feed"): in that order nothing can later appear in front of a
 * cursor. A cursor names the last event a reader has: its transaction id and position,
 * written `<xid>:<position>`. Clients treat it as opaque; a bare position (`1042`) is still
 * accepted and means "after the event at that position".
 */
export interface FeedCursor {
  /** The writing transaction's id (xid8; 1 for the events stored before issue 17). */
  xid: bigint;
  position: number;
}

/** Before every event. */
export const FEED_START: FeedCursor = { xid: 0n, position: 0 };

/** xid8 values a cursor may carry: Postgres' bigint range (the epoch would need 2^31 wraparounds to pass it). */
export const FEED_XID_MAX = 9_223_372_036_854_775_807n;

/** What a client sent as a feed cursor. */
export type ParsedFeedCursor =
  | { kind: 'cursor'; cursor: FeedCursor }
  /** A bare global position: the feed resumes after the event stored at it. */
  | { kind: 'position'; position: number }
  | { kind: 'invalid' };

/** The pattern the OpenAPI document declares for a cursor (or a bare position). */
export const FEED_CURSOR_PATTERN = '^\\d{1,16}$|^\\d{1,19}:\\d{1,16}$';
export const FEED_CURSOR_MAX_LENGTH = 36;

const CURSOR = /^(\d{1,19}):(\d{1,16})$/;
const POSITION = /^\d{1,16}$/;

export function encodeFeedCursor(cursor: FeedCursor): string {
  return cursor.xid === 0n && cursor.position === 0 ? '0' : `${cursor.xid}:${cursor.position}`;
}

/** Strict: decimal digits only, within range; `0` is the start. */
export function parseFeedCursor(raw: string): ParsedFeedCursor {
  if (POSITION.test(raw)) {
    const position = Number(raw);
    return Number.isSafeInteger(position) ? { kind: 'position', position } : { kind: 'invalid' };
  }
  const match = CURSOR.exec(raw);
  if (!match) return { kind: 'invalid' };
  const xid = BigInt(match[1]);
  const position = Number(match[2]);
  if (xid > FEED_XID_MAX || !Number.isSafeInteger(position)) return { kind: 'invalid' };
  return { kind: 'cursor', cursor: { xid, position } };
}

/** Feed order: by transaction id, then position. */
export function compareFeedCursors(a: FeedCursor, b: FeedCursor): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  return a.position - b.position;
}
