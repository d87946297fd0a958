/**
 * The projection rules of docs/consistency.md computed directly from the SET of
 * an operation's events: sort by (time, id), then read each winner off the end.
 * Deliberately written without src/projection (no evolve, no compareKeys), so
 * that a test comparing the service's state with it checks the fold against an
 * independent statement of the rules, not against itself.
 */

/** An accepted event as the rules see it; `time` in canonical form (UTC, six fractional digits). */
export interface ReferenceEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  data: Record<string, unknown> | null;
}

export type ReferenceOperationStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type ReferenceStageStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface ReferenceStage {
  status: ReferenceStageStatus;
  attempts: number;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  finishedAt: string | null;
  source: string;
  error: unknown;
}

/** The state of an operation without `version` and `eventCount`, which follow arrival, not the set. */
export interface ReferenceState {
  id: string;
  status: ReferenceOperationStatus;
  stages: Record<string, ReferenceStage>;
  metadata: Record<string, unknown>;
  result: unknown;
  error: unknown;
  createdAt: string;
  updatedAt: string;
}

const STAGE_STATUS_OF: Readonly<Record<string, ReferenceStageStatus>> = {
  'stage.started': 'running',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

const TERMINAL_STATUS_OF: Readonly<Record<string, ReferenceOperationStatus>> = {
  'operation.completed': 'succeeded',
  'operation.failed': 'failed',
  'operation.cancelled': 'cancelled',
};

// Own-property checks: a producer's type "constructor" must not look like a known type.
const isStageEvent = (e: ReferenceEvent) => Object.hasOwn(STAGE_STATUS_OF, e.type);
const isTerminalEvent = (e: ReferenceEvent) => Object.hasOwn(TERMINAL_STATUS_OF, e.type);

/** The event key order: time first, then id, both as plain strings. */
function byTimeThenId(a: ReferenceEvent, b: ReferenceEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

// Stage names and metadata keys come from producers: "__proto__" must become an ordinary key.
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function last<T>(items: readonly T[]): T | undefined {
  return items[items.length - 1];
}

/** The state the rules give for this set of events (duplicated ids count once). */
export function referenceState(operationId: string, events: readonly ReferenceEvent[]): ReferenceState {
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  const sorted = unique.sort(byTimeThenId);

  const stages: Record<string, ReferenceStage> = {};
  const stageNames = new Set(sorted.filter(isStageEvent).map((e) => e.data!.stage as string));
  for (const name of stageNames) {
    const own = sorted.filter((e) => isStageEvent(e) && e.data!.stage === name);
    const starts = own.filter((e) => e.type === 'stage.started').map((e) => e.time);
    starts.sort();
    const winner = last(own)!;
    const status = STAGE_STATUS_OF[winner.type];
    setOwn(stages, name, {
      status,
      attempts: starts.length,
      firstStartedAt: starts[0] ?? null,
      lastStartedAt: last(starts) ?? null,
      finishedAt: status === 'running' ? null : winner.time,
      source: winner.source,
      error: status === 'failed' ? (winner.data?.error ?? null) : null,
    } satisfies ReferenceStage);
  }

  const metadata: Record<string, unknown> = {};
  const updates = sorted.filter((e) => e.type === 'metadata.updated');
  const metadataKeys = new Set(updates.flatMap((e) => Object.keys(e.data!.metadata as object)));
  for (const key of metadataKeys) {
    const writer = last(updates.filter((e) => Object.prototype.hasOwnProperty.call(e.data!.metadata, key)))!;
    const value = (writer.data!.metadata as Record<string, unknown>)[key];
    if (value !== null) setOwn(metadata, key, value);
  }

  const terminal = last(sorted.filter(isTerminalEvent));
  const restart = last(sorted.filter((e) => e.type === 'operation.restarted'));
  let status: ReferenceOperationStatus = stageNames.size > 0 ? 'running' : 'pending';
  let result: unknown = null;
  let error: unknown = null;
  if (terminal && (!restart || byTimeThenId(terminal, restart) > 0)) {
    status = TERMINAL_STATUS_OF[terminal.type];
    if (terminal.type === 'operation.completed') result = terminal.data?.result ?? null;
    if (terminal.type === 'operation.failed') error = terminal.data?.error ?? null;
    if (terminal.type === 'operation.cancelled') error = terminal.data?.reason ?? null;
  }

  const times = sorted.map((e) => e.time).sort();
  return { id: operationId, status, stages, metadata, result, error, createdAt: times[0], updatedAt: last(times)! };
}
