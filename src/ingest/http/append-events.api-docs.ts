import {
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  getSchemaPath,
} from '@nestjs/swagger';
import { INTEGER_KINDS, integerStringSchema } from '../../common/integer-params';
import {
  ApiAuthProblems,
  ApiDocs,
  ApiOperationIdParam,
  ApiProblemResponse,
  ApiRequestContent,
  PROBLEM_EXAMPLES,
} from '../../openapi/decorators';
import { AppendResultDto } from '../../openapi/schemas/append.schema';

// The OpenAPI documentation of POST /v1/operations/{id}/events (ApiDocs: as if written on the method,
// top to bottom): its request bodies, answers and problems, with examples.

const EXAMPLE_EVENT = {
  specversion: '1.0',
  id: '7f0c1f6e-enrich-geo-start-1',
  source: 'pipeline/enrich-geo',
  type: 'stage.started',
  subject: 'order-42',
  time: '2026-11-25T16:00:00.120Z',
  data: { stage: 'enrich-geo' },
};
const SINGLE_BODY = {
  schema: { $ref: getSchemaPath('CloudEvent') },
  examples: {
    stageStarted: { summary: 'A stage starts', value: EXAMPLE_EVENT },
    completed: {
      summary: 'The operation succeeded, only if it is still at version 6',
      value: {
        ...EXAMPLE_EVENT,
        id: '7f0c1f6e-done',
        type: 'operation.completed',
        time: '2026-11-25T16:00:05Z',
        data: { result: { invoice: 'INV-1001' } },
        expectedversion: 6,
      },
    },
  },
};
const INSTANCE = '/v1/operations/order-42/events';
const VALIDATION = { type: 'validation', title: 'Invalid request', status: 400, instance: INSTANCE };

/** POST /v1/operations/{id}/events */
export const AppendEventsDocs = (): MethodDecorator =>
  ApiDocs(
    ApiOperation({
      summary: 'Append events to an operation',
      description:
        'Appends one CloudEvent, or a batch of up to 1000 in order, to the operation of the path: all or nothing, ' +
        'in one transaction with the state change, so a read after the answer sees them. Idempotent by event id: ' +
        'a retry answers 200 with the versions already assigned (`duplicate`). Optimistic concurrency with ' +
        '`If-Match` (for the first event) or the `expectedversion` attribute (per event). Role: writer.',
    }),
    ApiOperationIdParam(),
    ApiConsumes('application/cloudevents+json', 'application/json', 'application/cloudevents-batch+json'),
    ApiRequestContent('One CloudEvent, or a JSON array of them under the batch media type.', {
      'application/cloudevents+json': SINGLE_BODY,
      'application/json': SINGLE_BODY,
      'application/cloudevents-batch+json': {
        schema: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: getSchemaPath('CloudEvent') } },
        examples: {
          batch: {
            summary: 'A stage that starts and completes',
            value: [
              EXAMPLE_EVENT,
              {
                ...EXAMPLE_EVENT,
                id: '7f0c1f6e-enrich-geo-done-1',
                type: 'stage.completed',
                time: '2026-11-25T16:00:00.480Z',
              },
            ],
          },
        },
      },
    }),
    ApiHeader({
      name: 'if-match',
      required: false,
      description:
        'The operation\'s current version as an ETag (`"6"`, `W/"6"` or `6`; `"0"` for a new operation): the ' +
        'first event is stored only if the operation is still at that version, else 412. Must agree with that ' +
        "event's `expectedversion` if both are set.",
      schema: integerStringSchema(INTEGER_KINDS.seenVersion, {
        pattern: '^(W/)?"\\d{1,10}"$|^\\d{1,10}$',
        maxLength: 14,
        example: '"6"',
      }),
    }),
    ApiCreatedResponse({
      type: AppendResultDto,
      description: 'At least one event was new and is stored.',
      headers: {
        Location: { description: 'The operation.', schema: { type: 'string', example: '/v1/operations/order-42' } },
        ETag: {
          description: 'The highest version of the request, quoted.',
          schema: { type: 'string', example: '"7"' },
        },
      },
    }),
    ApiOkResponse({
      type: AppendResultDto,
      description: 'Every event was already stored (an idempotent retry): nothing changed.',
      headers: {
        Location: { description: 'The operation.', schema: { type: 'string', example: '/v1/operations/order-42' } },
        ETag: {
          description: 'The highest version of the request, quoted.',
          schema: { type: 'string', example: '"7"' },
        },
      },
    }),
    ApiProblemResponse(
      400,
      'Malformed JSON, an invalid event (`field` names the attribute, `[i].attribute` in a batch), a subject that ' +
        'is not the operation of the path, a bad id or If-Match, or an event whose `time` is more than ' +
        "MAX_CLOCK_SKEW ahead of the service's clock (`time-in-future`). Nothing is stored.",
      {
        timeInFuture: {
          type: 'time-in-future',
          title: 'Event time in the future',
          status: 400,
          detail:
            "time 2026-11-25T17:00:00.000000Z is 1 h ahead of opledger's clock (2026-11-25T16:00:00.000Z), more than " +
            'the 5 min allowed (MAX_CLOCK_SKEW)',
          instance: INSTANCE,
          field: 'time',
        },
        missingTime: { ...VALIDATION, detail: 'time is required (RFC 3339)', field: 'time' },
        inBatch: {
          ...VALIDATION,
          detail: 'event 1: specversion must be the string "1.0"',
          field: '[1].specversion',
        },
        otherSubject: {
          ...VALIDATION,
          detail: 'subject "order-43" differs from the operation in the path "order-42"',
          field: 'subject',
        },
        arrayAsSingle: {
          ...VALIDATION,
          detail: 'send a batch (a JSON array) as application/cloudevents-batch+json',
          field: '(body)',
        },
        badIfMatch: {
          ...VALIDATION,
          detail: 'If-Match must be the operation version (0 to 2147483647) as an ETag, e.g. "3"',
          field: 'If-Match',
        },
        malformed: {
          type: 'bad-request',
          title: 'Bad request',
          status: 400,
          detail: 'Unexpected end of JSON input',
          instance: INSTANCE,
        },
        badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/events'),
      },
    ),
    ApiAuthProblems('writer', INSTANCE),
    ApiProblemResponse(
      409,
      "An event's `expectedversion` is not the operation's version (`version-conflict`), or an event's id is " +
        'already stored with other content (`id-conflict`: type, source, subject, time or data differ; ' +
        "`storedVersion` is the stored event's version). Nothing is stored.",
      {
        idConflict: {
          type: 'id-conflict',
          title: 'Event id conflict',
          status: 409,
          detail:
            'event id "7f0c1f6e-enrich-geo-start-1" is already stored as version 2 of operation order-42 with other ' +
            'content (type, source, subject, time or data differ); a new event needs a new id',
          instance: INSTANCE,
          field: 'id',
          storedVersion: 2,
          storedOperationId: 'order-42',
        },
        conflict: {
          type: 'version-conflict',
          title: 'Version conflict',
          status: 409,
          detail: 'expectedversion 5 does not match the current version 1 of operation order-42',
          instance: INSTANCE,
          currentVersion: 1,
        },
      },
    ),
    ApiProblemResponse(412, "If-Match is not the operation's version. Nothing is stored.", {
      stale: {
        type: 'precondition-failed',
        title: 'Precondition failed',
        status: 412,
        detail: 'If-Match: expectedversion 0 does not match the current version 1 of operation order-42',
        instance: INSTANCE,
        currentVersion: 1,
      },
    }),
    ApiProblemResponse(
      413,
      "The body is over the HTTP body limit, or an event's `data` is over MAX_EVENT_DATA_BYTES.",
      {
        data: {
          type: 'payload-too-large',
          title: 'Event data too large',
          status: 413,
          detail: 'data is 5012 bytes serialised, over the limit of 4096',
          instance: INSTANCE,
          field: 'data',
        },
        body: {
          type: 'payload-too-large',
          title: 'Payload too large',
          status: 413,
          detail: 'Request body is too large',
          instance: INSTANCE,
        },
      },
    ),
    ApiProblemResponse(415, 'The Content-Type is none of the three accepted media types.', {
      unsupported: {
        type: 'unsupported-media-type',
        title: 'Unsupported media type',
        status: 415,
        detail:
          'send application/cloudevents+json or application/json for one event, application/cloudevents-batch+json for a batch',
        instance: INSTANCE,
      },
    }),
    ApiProblemResponse(
      503,
      'The event store stayed unavailable through the retries. Retry with the same event ids: usually nothing ' +
        'was stored, but a commit whose answer was lost (the primary failed over) may have stored them, and the ' +
        'retry then answers 200 with `duplicate`.',
      {
        unavailable: {
          type: 'unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: 'the event store is unavailable; retry later',
          instance: INSTANCE,
        },
      },
      { 'Retry-After': { description: 'Seconds to wait before retrying.', example: '1' } },
    ),
  );
