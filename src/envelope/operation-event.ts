import type { CanonicalTime } from './event-time';

export type JsonObject = Record<string, unknown>;

/**
 * A CloudEvent that passed validation: the unit the event store appends and
 * the projection folds. `subject` of the CloudEvent is the operation id.
 */
export interface OperationEvent {
  id: string;
  source: string;
  type: string;
  operationId: string;
  time: CanonicalTime;
  data: JsonObject | null;
  expectedVersion: number | null;
}

/** An event as it sits in the log, with what the store assigned to it. */
export interface StoredEvent extends OperationEvent {
  version: number;
  position: number;
  recordedAt: CanonicalTime;
}

export const KNOWN_EVENT_TYPES = [
  'operation.created',
  'stage.started',
  'stage.completed',
  'stage.failed',
  'stage.skipped',
  'operation.completed',
  'operation.failed',
  'operation.cancelled',
  'operation.restarted',
  'metadata.updated',
] as const;

export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

export const STAGE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'stage.started',
  'stage.completed',
  'stage.failed',
  'stage.skipped',
]);
