/**
 * Grows an event log in steps (100k events, then 1M, then 10M in the same
 * database): each step COPYs the log of the next range of workload operations,
 * plus one rare operation per window (rare-operations.ts), as the service would
 * have stored it: duplicates dropped, versions numbered in arrival order,
 * positions following the COPY order. Times are shifted so that the step's
 * newest event happened just before the load: reads over "the last 15
 * minutes" then find the data a live pipeline would have produced.
 *
 * No projection is written here: the scenario rebuilds it with the service's
 * own `opledger replay`, so every read model the service keeps (projection,
 * counters, side indexes, rollups) is built by the service's code, whatever
 * that code is on the commit being measured.
 */
import { Client } from 'pg';
import { withIndexesDeferred } from '../support/deferred-indexes';
import { copyFrom, copyText } from '../support/pg-copy';
import { EVENT_COPY_COLUMNS } from './event-log-loader';
import { rareOperationEvents } from './rare-operations';
import {
  type CloudEventJson,
  eventsOfOperation,
  OPERATIONS_PER_WINDOW,
  recordsInProduceOrder,
  type Workload,
} from './workload';

export interface StoredEventRow {
  operationId: string;
  version: number;
  eventId: string;
  type: string;
  source: string;
  /** ISO 8601, shifted. */
  time: string;
  data: Record<string, unknown> | null;
}

export interface LogStep {
  /** Workload operations added (the rare ones not included). */
  operations: number;
  rareOperations: number;
  /** Distinct events added (rare ones included). */
  events: number;
  /** Event time of the newest event added (ISO 8601). */
  newestEventTime: string;
  /** Generating and COPYing the events (the log's secondary indexes dropped meanwhile). */
  copySeconds: number;
  /** Building the secondary indexes again, and the commit. */
  indexSeconds: number;
}

/**
 * An operation's deliveries all arrive within three windows of its own (late: up to two, a duplicate
 * of a late one: one more), so the version and id bookkeeping of operations more than this many
 * operations behind the newest can be dropped: memory stays flat at 10 million events.
 */
const FORGET_AFTER_OPERATIONS = 5 * OPERATIONS_PER_WINDOW;

/** The rows of operations [firstOperation, workload.operations) and their rare companions, window by window. */
export function* storedEventWindows(
  workload: Workload,
  firstOperation: number,
  shiftMs: number,
): Generator<StoredEventRow[]> {
  const operations = new Map<string, { version: number; seen: Set<string> }>();
  const firstWindow = Math.floor(firstOperation / OPERATIONS_PER_WINDOW);
  const windowsInRange = Math.ceil(workload.operations / OPERATIONS_PER_WINDOW) - firstWindow;
  const shift = minuteShifter(shiftMs);
  let newestIndex = 0;
  let yielded = 0;
  for (const window of recordsInProduceOrder(workload, firstOperation)) {
    // Every window of the range holds the first event of each of its operations (never late), so the
    // k-th window yielded is window firstWindow + k; the trailing ones hold only late deliveries.
    const events: CloudEventJson[] = window.map((record) => record.event);
    if (yielded < windowsInRange) events.push(...rareOperationEvents(firstWindow + yielded));
    yielded += 1;
    const rows: StoredEventRow[] = [];
    for (const event of events) {
      let operation = operations.get(event.subject);
      if (!operation) {
        operation = { version: 0, seen: new Set() };
        operations.set(event.subject, operation);
      }
      if (operation.seen.has(event.id)) continue;
      operation.seen.add(event.id);
      operation.version += 1;
      if (event.subject.startsWith('op-')) newestIndex = Math.max(newestIndex, Number(event.subject.slice(3)));
      rows.push({
        operationId: event.subject,
        version: operation.version,
        eventId: event.id,
        type: event.type,
        source: event.source,
        time: shift(event.time),
        data: event.data ?? null,
      });
    }
    yield rows;
    forgetFinished(operations, newestIndex - FORGET_AFTER_OPERATIONS);
  }
}

/**
 * Shifts toISOString() times by a whole number of minutes: only the minute prefix changes, so it is
 * computed once per distinct minute (a few dozen at 10 million events) instead of once per event.
 */
export function minuteShifter(shiftMs: number): (time: string) => string {
  if (shiftMs % 60_000 !== 0) throw new Error(`the shift must be whole minutes, not ${shiftMs} ms`);
  const prefixes = new Map<string, string>();
  return (time) => {
    const minute = time.slice(0, 16);
    let shifted = prefixes.get(minute);
    if (shifted === undefined) {
      shifted = new Date(Date.parse(`${minute}:00.000Z`) + shiftMs).toISOString().slice(0, 16);
      prefixes.set(minute, shifted);
    }
    return shifted + time.slice(16);
  };
}

/** Drops the bookkeeping of operations whose index is below `below` (insertion order is window order). */
function forgetFinished(operations: Map<string, unknown>, below: number): void {
  for (const id of operations.keys()) {
    const index = id.startsWith('op-') ? Number(id.slice(3)) : null;
    if (index !== null && index >= below) return;
    // Rare operations are complete within their own window: they go with the workload ones around them.
    operations.delete(id);
  }
}

/** The latest event time among the last operations of the workload (the newest event it holds). */
export function newestEventTimeMs(workload: Workload): number {
  let newest = 0;
  for (
    let index = Math.max(0, workload.operations - 2 * OPERATIONS_PER_WINDOW);
    index < workload.operations;
    index += 1
  ) {
    for (const event of eventsOfOperation(index)) newest = Math.max(newest, Date.parse(event.time));
  }
  return newest;
}

/**
 * COPYs the log of operations [firstOperation, workload.operations) into a migrated database whose
 * log already holds operations [0, firstOperation), the newest event timed at `endsAtMs`.
 */
export async function appendWorkloadEvents(
  databaseUrl: string,
  workload: Workload,
  firstOperation: number,
  endsAtMs: number,
): Promise<LogStep> {
  // Whole minutes (see minuteShifter): the newest event lands in the minute before endsAtMs.
  const newest = newestEventTimeMs(workload);
  const shiftMs = Math.floor((endsAtMs - newest) / 60_000) * 60_000;
  const step: LogStep = {
    operations: workload.operations - firstOperation,
    rareOperations: 0,
    events: 0,
    newestEventTime: new Date(newest + shiftMs).toISOString(),
    copySeconds: 0,
    indexSeconds: 0,
  };
  const rare = new Set<string>();
  function* chunks(): Generator<Buffer> {
    for (const rows of storedEventWindows(workload, firstOperation, shiftMs)) {
      let text = '';
      for (const row of rows) {
        if (!row.operationId.startsWith('op-')) rare.add(row.operationId);
        // Ids, types, sources and times of the workload hold no character COPY escapes; data may.
        const data = row.data === null ? '\\N' : copyText(JSON.stringify(row.data));
        text += `${row.operationId}\t${row.version}\t${row.eventId}\t${row.type}\t${row.source}\t${row.time}\t${data}\n`;
      }
      step.events += rows.length;
      yield Buffer.from(text);
    }
  }
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('BEGIN');
    // Room for the index builds' sorts (this transaction only).
    await client.query(`SET LOCAL maintenance_work_mem = '1GB'`);
    await withIndexesDeferred(client, 'operation_events', async () => {
      await copyFrom(client, `COPY operation_events (${EVENT_COPY_COLUMNS}) FROM STDIN`, chunks());
      step.copySeconds = (performance.now() - started) / 1000;
    });
    await client.query('COMMIT');
    step.indexSeconds = (performance.now() - started) / 1000 - step.copySeconds;
  } finally {
    await client.end();
  }
  step.rareOperations = rare.size;
  return step;
}
