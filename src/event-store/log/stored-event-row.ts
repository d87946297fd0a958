import type { StoredEvent } from '../../envelope/operation-event';
import { toGlobalPosition } from '../global-position';

// How the log's rows are read back, shared by the event store's reads and the log scans of rebuilds
// and exports. Private to the event store: other modules get StoredEvents from its methods.

/** SQL for the canonical event time (UTC, microseconds), the form the fold compares. */
export const CANONICAL_TIME_SQL = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CANONICAL_RECORDED_SQL = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const STORED_EVENT_COLUMNS = `position, operation_id, version, event_id, type, source,
  ${CANONICAL_TIME_SQL} AS time, ${CANONICAL_RECORDED_SQL} AS recorded_at, data`;

/**
 * The same columns with the times as Postgres prints a timestamp, `YYYY-MM-DD HH:MM:SS[.ffffff]` in
 * UTC (DateStyle ISO, the default): about half of what to_char costs it per row, which a log scan
 * (rebuild, verify) pays twice per event. toScannedEvents makes them canonical.
 */
export const SCANNED_EVENT_COLUMNS = `position, operation_id, version, event_id, type, source,
  (occurred_at AT TIME ZONE 'UTC')::text AS time, (recorded_at AT TIME ZONE 'UTC')::text AS recorded_at, data`;

export interface StoredEventRow {
  position: string;
  operation_id: string;
  version: number;
  event_id: string;
  type: string;
  source: string;
  time: string;
  recorded_at: string;
  data: Record<string, unknown> | null;
}

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return {
    id: row.event_id,
    operationId: row.operation_id,
    version: row.version,
    position: toGlobalPosition(row.position),
    type: row.type,
    source: row.source,
    time: row.time,
    recordedAt: row.recorded_at,
    data: row.data,
    expectedVersion: null,
  };
}

const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?$/;

/**
 * A UTC timestamp as Postgres prints it with DateStyle ISO (trailing zeros of the fraction dropped)
 * in the canonical form; null for any other form (another DateStyle, a year past 9999 or BC, which
 * no canonical time has).
 */
export function canonicalOfTimestampText(text: string): string | null {
  if (!ISO_TIMESTAMP.test(text)) return null;
  const fraction = text.length === 19 ? '000000' : text.slice(20).padEnd(6, '0');
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction}Z`;
}

/** Rows read with SCANNED_EVENT_COLUMNS as stored events; null if a time is not in the expected form. */
export function toScannedEvents(rows: StoredEventRow[]): StoredEvent[] | null {
  const events: StoredEvent[] = [];
  for (const row of rows) {
    const time = canonicalOfTimestampText(row.time);
    const recordedAt = canonicalOfTimestampText(row.recorded_at);
    if (time === null || recordedAt === null) return null;
    // The same mapping as a stored event's, with the times made canonical (no second object per event).
    const event = toStoredEvent(row);
    event.time = time;
    event.recordedAt = recordedAt;
    events.push(event);
  }
  return events;
}
