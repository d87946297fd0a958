import type { StoredEvent } from '../../envelope/operation-event';
import { toGlobalPosition } from '../global-position';

// How the log's rows are read back, shared by the event store's reads and the log scans of rebuilds
// and exports. Private to the event store: other modules get StoredEvents from its methods.

/** SQL for the canonical event time (UTC, microseconds), the form the fold compares. */
export const CANONICAL_TIME_SQL = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CANONICAL_RECORDED_SQL = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const STORED_EVENT_COLUMNS = `position, operation_id, version, event_id, type, source,
  ${CANONICAL_TIME_SQL} AS time, ${CANONICAL_RECORDED_SQL} AS recorded_at, data`;

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
