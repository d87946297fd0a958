import type { OperationEvent } from '../../src/envelope/operation-event';
import { parseCloudEvent } from '../../src/envelope/parse-cloud-event';
import { foldEvents, type Projection } from '../../src/projection/operation-fold';
import { type CloudEventJson, eventsOfOperation } from './workload';

/** The event exactly as the service would accept it (canonical time and all). */
export function toOperationEvent(event: CloudEventJson): OperationEvent {
  const parsed = parseCloudEvent(event);
  if (!parsed.ok) throw new Error(`the workload produced an invalid event ${event.id}: ${parsed.rejection.detail}`);
  return parsed.event;
}

/** The true final projection of an operation: the fold of its whole event set. */
export function trueProjection(index: number): Projection {
  const projection = foldEvents(eventsOfOperation(index).map(toOperationEvent));
  if (!projection) throw new Error(`operation ${index} has no events`);
  return projection;
}
