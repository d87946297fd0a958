import type { StoredEvent } from '../envelope/operation-event';

/** A stored event as the API shows it: the CloudEvent plus what the log assigned. */
export function presentEvent(event: StoredEvent) {
  return {
    specversion: '1.0' as const,
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.operationId,
    time: event.time,
    data: event.data,
    version: event.version,
    position: event.position,
    recordedAt: event.recordedAt,
  };
}
