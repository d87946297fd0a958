/**
 * The projection fold: the one definition of how an operation's events become
 * its state. Used by the live projector, the rebuild and time-travel reads.
 *
 * Every rule picks a winner by the event key k = (time, id), never by arrival,
 * so the state is a pure function of the SET of events: any order, any
 * duplicates, same state. `version` and `eventCount` follow arrival and are the
 * only exception. docs/consistency.md explains the rules and why.
 */
import type { CanonicalTime } from '../envelope/event-time';
import type { JsonObject, OperationEvent } from '../envelope/operation-event';

/** Bump when the fold's output for the same events changes: start-up then asks for a rebuild. */
export const PROJECTION_DEFINITION_VERSION = 1;

export type OperationStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StageStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export const OPERATION_STATUSES: readonly OperationStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];
export const STAGE_STATUSES: readonly StageStatus[] = ['running', 'succeeded', 'failed', 'skipped'];

export interface EventKey {
  time: CanonicalTime;
  id: string;
}

export interface StageState {
  status: StageStatus;
  attempts: number;
  firstStartedAt: CanonicalTime | null;
  lastStartedAt: CanonicalTime | null;
  finishedAt: CanonicalTime | null;
  source: string;
  error: unknown;
}

export interface OperationState {
  id: string;
  status: OperationStatus;
  stages: Record<string, StageState>;
  metadata: JsonObject;
  result: unknown;
  error: unknown;
  createdAt: CanonicalTime;
  updatedAt: CanonicalTime;
  version: number;
  eventCount: number;
}

/**
 * What the rules need to remember beyond the visible state, so that a late
 * event can be judged against the events already folded without reading them again.
 */
export interface FoldMemo {
  stageWinners: Record<string, EventKey>;
  /** Per metadata key, the key of the last event that set or deleted it (deletions stay as tombstones). */
  metadataClocks: Record<string, EventKey>;
  terminal: { key: EventKey; status: OperationStatus; result: unknown; error: unknown } | null;
  lastRestart: EventKey | null;
}

export interface Projection {
  state: OperationState;
  memo: FoldMemo;
}

/** Events the fold accepts: an OperationEvent, optionally with the version the log assigned. */
export type FoldableEvent = OperationEvent & { version?: number };

export function compareKeys(a: EventKey, b: EventKey): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

function keyOf(event: FoldableEvent): EventKey {
  return { time: event.time, id: event.id };
}

function isNewer(candidate: EventKey, current: EventKey | null | undefined): boolean {
  return current === null || current === undefined || compareKeys(candidate, current) > 0;
}

// Stage names and metadata keys come from producers: "__proto__" must be an ordinary key.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function emptyProjection(operationId: string, firstEvent: FoldableEvent): Projection {
  return {
    state: {
      id: operationId,
      status: 'pending',
      stages: {},
      metadata: {},
      result: null,
      error: null,
      createdAt: firstEvent.time,
      updatedAt: firstEvent.time,
      version: 0,
      eventCount: 0,
    },
    memo: { stageWinners: {}, metadataClocks: {}, terminal: null, lastRestart: null },
  };
}

/** A deep copy the caller may mutate with applyEvent. */
export function cloneProjection(projection: Projection): Projection {
  return structuredClone(projection);
}

/** Pure: the projection after one more event. The event's id must not have been folded already. */
export function evolve(projection: Projection | null, event: FoldableEvent): Projection {
  const draft = projection ? cloneProjection(projection) : emptyProjection(event.operationId, event);
  applyEvent(draft, event);
  return draft;
}

/**
 * Folds a list of events from scratch (or onto `initial`). Repeated ids are
 * folded once, so a redelivered event cannot count twice.
 */
export function foldEvents(events: Iterable<FoldableEvent>, initial: Projection | null = null): Projection | null {
  let draft = initial ? cloneProjection(initial) : null;
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    draft ??= emptyProjection(event.operationId, event);
    applyEvent(draft, event);
  }
  return draft;
}

/** Mutates `draft`: for hot paths that fold many events into one copy. */
export function applyEvent(draft: Projection, event: FoldableEvent): void {
  const { state, memo } = draft;
  const key = keyOf(event);
  state.version = event.version ?? state.version + 1;
  state.eventCount += 1;
  if (event.time < state.createdAt) state.createdAt = event.time;
  if (event.time > state.updatedAt) state.updatedAt = event.time;

  switch (event.type) {
    case 'stage.started':
    case 'stage.completed':
    case 'stage.failed':
    case 'stage.skipped':
      applyStageEvent(draft, event, key);
      break;
    case 'operation.completed':
      applyTerminal(memo, key, 'succeeded', event.data?.result ?? null, null);
      break;
    case 'operation.failed':
      applyTerminal(memo, key, 'failed', null, event.data?.error ?? null);
      break;
    case 'operation.cancelled':
      applyTerminal(memo, key, 'cancelled', null, event.data?.reason ?? null);
      break;
    case 'operation.restarted':
      if (isNewer(key, memo.lastRestart)) memo.lastRestart = key;
      break;
    case 'metadata.updated':
      applyMetadata(draft, event.data?.metadata as JsonObject, key);
      break;
    default:
      // operation.created and unknown types only move createdAt/updatedAt and the counters.
      break;
  }
  deriveOperationStatus(draft);
}

const STAGE_STATUS_BY_TYPE: Record<string, StageStatus> = {
  'stage.started': 'running',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

function applyStageEvent(draft: Projection, event: FoldableEvent, key: EventKey): void {
  const name = event.data?.stage as string;
  const status = STAGE_STATUS_BY_TYPE[event.type];
  let stage = own(draft.state.stages, name);
  if (!stage) {
    stage = {
      status,
      attempts: 0,
      firstStartedAt: null,
      lastStartedAt: null,
      finishedAt: null,
      source: event.source,
      error: null,
    };
    put(draft.state.stages, name, stage);
  }
  if (event.type === 'stage.started') {
    stage.attempts += 1;
    if (stage.firstStartedAt === null || event.time < stage.firstStartedAt) stage.firstStartedAt = event.time;
    if (stage.lastStartedAt === null || event.time > stage.lastStartedAt) stage.lastStartedAt = event.time;
  }
  if (isNewer(key, own(draft.memo.stageWinners, name))) {
    put(draft.memo.stageWinners, name, key);
    stage.status = status;
    stage.source = event.source;
    stage.finishedAt = status === 'running' ? null : event.time;
    stage.error = status === 'failed' ? (event.data?.error ?? null) : null;
  }
}

function applyTerminal(memo: FoldMemo, key: EventKey, status: OperationStatus, result: unknown, error: unknown): void {
  if (isNewer(key, memo.terminal?.key)) memo.terminal = { key, status, result, error };
}

function applyMetadata(draft: Projection, changes: JsonObject, key: EventKey): void {
  for (const [name, value] of Object.entries(changes)) {
    if (!isNewer(key, own(draft.memo.metadataClocks, name))) continue;
    put(draft.memo.metadataClocks, name, key);
    if (value === null) {
      delete draft.state.metadata[name];
    } else {
      put<unknown>(draft.state.metadata, name, value);
    }
  }
}

function deriveOperationStatus(draft: Projection): void {
  const { state, memo } = draft;
  const terminal = memo.terminal;
  if (terminal && (memo.lastRestart === null || compareKeys(terminal.key, memo.lastRestart) > 0)) {
    state.status = terminal.status;
    state.result = terminal.result;
    state.error = terminal.error;
    return;
  }
  state.status = Object.keys(state.stages).length > 0 ? 'running' : 'pending';
  state.result = null;
  state.error = null;
}
