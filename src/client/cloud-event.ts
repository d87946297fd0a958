import { randomUUID } from 'node:crypto';
import { DEFAULT_ENVELOPE_LIMITS, type EnvelopeLimits, parseCloudEvent } from '../envelope/parse-cloud-event';

export type JsonObject = Record<string, unknown>;

/** A structured-mode CloudEvent as opledger accepts it (docs/events.md). */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  /** The operation id. */
  subject: string;
  time: string;
  data?: JsonObject;
  /** Optimistic concurrency: stored only if the operation is at exactly this version. */
  expectedversion?: number;
}

export interface EventDraft {
  operationId: string;
  type: string;
  source: string;
  time: string;
  data?: JsonObject;
  /** The caller's id, to retry a send idempotently; a fresh UUID otherwise. */
  id?: string;
  expectedVersion?: number;
}

/** The SDK was asked to build an event opledger would refuse; nothing was sent. */
export class InvalidEventError extends Error {
  constructor(
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(`invalid event${field ? ` (${field})` : ''}: ${detail}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * Builds a CloudEvent and checks it with the service's own envelope rules, so a
 * mistake fails here, at the caller, instead of becoming a dead letter later.
 */
export function buildCloudEvent(draft: EventDraft, limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS): CloudEvent {
  const event: CloudEvent = {
    specversion: '1.0',
    id: draft.id ?? randomUUID(),
    source: draft.source,
    type: draft.type,
    subject: draft.operationId,
    time: draft.time,
    ...(draft.data === undefined ? {} : { data: draft.data }),
    ...(draft.expectedVersion === undefined ? {} : { expectedversion: draft.expectedVersion }),
  };
  const checked = parseCloudEvent(event, limits);
  if (!checked.ok) throw new InvalidEventError(checked.rejection.field, checked.rejection.detail);
  return event;
}
