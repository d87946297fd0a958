import { problem, Problems, type ProblemException } from '../../common/problem';
import { checkClockSkew } from '../../envelope/clock-skew';
import type { OperationEvent } from '../../envelope/operation-event';
import { type EnvelopeLimits, parseCloudEvent } from '../../envelope/parse-cloud-event';

export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';
export const SINGLE_CONTENT_TYPES = ['application/cloudevents+json', 'application/json'];
export const MAX_HTTP_BATCH = 1000;

/**
 * The first event of a request whose time is too far ahead of `nowMs`
 * (MAX_CLOCK_SKEW), as the 400 problem that refuses the whole request; null
 * when every event is in time. `batch`: the request was a batch (fields are
 * then named `[i].time`).
 */
export function eventTimeProblem(
  events: readonly OperationEvent[],
  batch: boolean,
  nowMs: number,
  maxSkewMs: number,
): ProblemException | null {
  for (const [index, event] of events.entries()) {
    const rejection = checkClockSkew(event, nowMs, maxSkewMs);
    if (rejection) {
      return problem(
        400,
        'time-in-future',
        'Event time in the future',
        batch ? `event ${index}: ${rejection.detail}` : rejection.detail,
        { field: batch ? `[${index}].time` : 'time' },
      );
    }
  }
  return null;
}

/**
 * Validates an HTTP append body: a single CloudEvent, or a batch (a JSON array)
 * under the batch content type. Every event must name the path's operation.
 * Any invalid event refuses the whole request, naming the event and the field.
 */
export function parseHttpEvents(
  operationId: string,
  body: unknown,
  contentType: string | undefined,
  limits: EnvelopeLimits,
): OperationEvent[] {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const batch = mediaType === BATCH_CONTENT_TYPE;
  if (!batch && !SINGLE_CONTENT_TYPES.includes(mediaType)) {
    throw problem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `send ${SINGLE_CONTENT_TYPES.join(' or ')} for one event, ${BATCH_CONTENT_TYPE} for a batch`,
    );
  }
  if (body === undefined || body === null) throw Problems.validation('(body)', 'the request has no body');
  let items: unknown[];
  if (batch) {
    if (!Array.isArray(body)) throw Problems.validation('(body)', `a ${BATCH_CONTENT_TYPE} body must be a JSON array`);
    if (body.length === 0 || body.length > MAX_HTTP_BATCH) {
      throw Problems.validation('(body)', `a batch holds 1 to ${MAX_HTTP_BATCH} events, got ${body.length}`);
    }
    items = body;
  } else {
    if (Array.isArray(body)) {
      throw Problems.validation('(body)', `send a batch (a JSON array) as ${BATCH_CONTENT_TYPE}`);
    }
    items = [body];
  }
  return items.map((item, index) => {
    const at = batch ? `[${index}].` : '';
    const parsed = parseCloudEvent(item, limits);
    if (!parsed.ok) {
      const { field = '(event)', detail, reason } = parsed.rejection;
      if (reason === 'oversize_data')
        throw problem(413, 'payload-too-large', 'Event data too large', detail, { field: at + field });
      throw Problems.validation(at + field, batch ? `event ${index}: ${detail}` : detail);
    }
    if (parsed.event.operationId !== operationId) {
      throw Problems.validation(
        `${at}subject`,
        `subject "${parsed.event.operationId}" differs from the operation in the path "${operationId}"`,
      );
    }
    return parsed.event;
  });
}
