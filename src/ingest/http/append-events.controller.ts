import { Body, Controller, Headers, Inject, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../../auth/route-access';
import { IfMatchVersion, INTEGER_KINDS, integerStringSchema } from '../../common/integer-params';
import { failpoints } from '../../common/failpoints';
import { problem } from '../../common/problem';
import { APP_CONFIG, type ResolvedConfig } from '../../config/app-config';
import type { OperationEvent } from '../../envelope/operation-event';
import type { AppendOutcome } from '../../event-store/event-store.service';
import { isTransientDatabaseError } from '../../event-store/transient-errors';
import { API_KEY_SCHEME } from '../../openapi/api-key-scheme';
import {
  ApiAuthProblems,
  ApiOperationIdParam,
  ApiProblemResponse,
  ApiRequestContent,
  PROBLEM_EXAMPLES,
} from '../../openapi/decorators';
import { AppendResultDto } from '../../openapi/schemas/append.schema';
import { checkOperationId } from '../../operations/operation-params';
import { backoffDelayMs } from '../retry-backoff';
import { MetricsService } from '../../metrics/metrics.service';
import { eventTimeProblem, parseHttpEvents } from './http-append';
import { RequestAppendCoalescer } from './request-append-coalescer';

const RACE_RETRIES = 3;

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

@ApiTags('events')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/operations')
export class AppendEventsController {
  constructor(
    private readonly appends: RequestAppendCoalescer,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /**
   * Appends one CloudEvent or a batch, all or nothing. 201 when something new
   * was stored, 200 when every event was already there (an idempotent retry).
   */
  @Post(':id/events')
  @RequireRole('writer')
  @ApiOperation({
    summary: 'Append events to an operation',
    description:
      'Appends one CloudEvent, or a batch of up to 1000 in order, to the operation of the path: all or nothing, ' +
      'in one transaction with the state change, so a read after the answer sees them. Idempotent by event id: ' +
      'a retry answers 200 with the versions already assigned (`duplicate`). Optimistic concurrency with ' +
      '`If-Match` (for the first event) or the `expectedversion` attribute (per event). Role: writer.',
  })
  @ApiOperationIdParam()
  @ApiConsumes('application/cloudevents+json', 'application/json', 'application/cloudevents-batch+json')
  @ApiRequestContent('One CloudEvent, or a JSON array of them under the batch media type.', {
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
  })
  @ApiHeader({
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
  })
  @ApiCreatedResponse({
    type: AppendResultDto,
    description: 'At least one event was new and is stored.',
    headers: {
      Location: { description: 'The operation.', schema: { type: 'string', example: '/v1/operations/order-42' } },
      ETag: { description: 'The highest version of the request, quoted.', schema: { type: 'string', example: '"7"' } },
    },
  })
  @ApiOkResponse({
    type: AppendResultDto,
    description: 'Every event was already stored (an idempotent retry): nothing changed.',
    headers: {
      Location: { description: 'The operation.', schema: { type: 'string', example: '/v1/operations/order-42' } },
      ETag: { description: 'The highest version of the request, quoted.', schema: { type: 'string', example: '"7"' } },
    },
  })
  @ApiProblemResponse(
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
  )
  @ApiAuthProblems('writer', INSTANCE)
  @ApiProblemResponse(
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
  )
  @ApiProblemResponse(412, "If-Match is not the operation's version. Nothing is stored.", {
    stale: {
      type: 'precondition-failed',
      title: 'Precondition failed',
      status: 412,
      detail: 'If-Match: expectedversion 0 does not match the current version 1 of operation order-42',
      instance: INSTANCE,
      currentVersion: 1,
    },
  })
  @ApiProblemResponse(413, "The body is over the HTTP body limit, or an event's `data` is over MAX_EVENT_DATA_BYTES.", {
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
  })
  @ApiProblemResponse(415, 'The Content-Type is none of the three accepted media types.', {
    unsupported: {
      type: 'unsupported-media-type',
      title: 'Unsupported media type',
      status: 415,
      detail:
        'send application/cloudevents+json or application/json for one event, application/cloudevents-batch+json for a batch',
      instance: INSTANCE,
    },
  })
  @ApiProblemResponse(
    503,
    'The event store stayed unavailable through the retries. Nothing is stored; retry (same event ids).',
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
  )
  async append(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @IfMatchVersion() ifMatch: number | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const operationId = checkOperationId(id);
    const events = parseHttpEvents(operationId, body, contentType, { maxDataBytes: this.config.maxEventDataBytes });
    // parseHttpEvents took a JSON array only as a batch.
    const ahead = eventTimeProblem(events, Array.isArray(body), Date.now(), this.config.maxClockSkewMs);
    if (ahead) {
      this.metrics.rejectedEvents.inc({ reason: 'time_in_future', channel: 'http' });
      throw ahead;
    }
    if (ifMatch !== null) {
      const first = events[0];
      if (first.expectedVersion !== null && first.expectedVersion !== ifMatch) {
        throw problem(400, 'validation', 'Invalid request', "If-Match and the first event's expectedversion disagree", {
          field: 'If-Match',
        });
      }
      events[0] = { ...first, expectedVersion: ifMatch };
    }

    const outcomes = await this.appendAtomically(events, ifMatch !== null);
    if (failpoints.on) await failpoints.reach('http.append.after-commit', () => ({ events: events.map((e) => e.id) }));
    const appended = outcomes.some((o) => o.status === 'appended');
    const versions = outcomes.map((o) => (o.status === 'rejected' ? 0 : o.version));
    const version = Math.max(...versions);
    void reply
      .status(appended ? 201 : 200)
      .header('location', `/v1/operations/${operationId}`)
      .header('etag', `"${version}"`);
    return {
      operationId,
      version,
      events: outcomes.map((o) =>
        o.status === 'rejected'
          ? { id: o.eventId, status: o.status }
          : { id: o.eventId, status: o.status, version: o.version, position: o.position },
      ),
    };
  }

  private async appendAtomically(events: OperationEvent[], viaIfMatch: boolean): Promise<AppendOutcome[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await this.appends.append(events);
        if (result.status === 'stored') return result.outcomes;
        const { headVersion, rejection, eventId, conflictsWith } = result.rejected;
        this.metrics.rejectedEvents.inc({ reason: rejection.reason, channel: 'http' });
        if (rejection.reason === 'id_conflict' && conflictsWith) {
          throw problem(409, 'id-conflict', 'Event id conflict', rejection.detail, {
            field: 'id',
            storedVersion: conflictsWith.version,
            storedOperationId: conflictsWith.operationId,
          });
        }
        throw viaIfMatch && eventId === events[0].id
          ? problem(412, 'precondition-failed', 'Precondition failed', `If-Match: ${rejection.detail}`, {
              currentVersion: headVersion,
            })
          : problem(409, 'version-conflict', 'Version conflict', rejection.detail, { currentVersion: headVersion });
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        if (attempt + 1 >= RACE_RETRIES) {
          throw problem(
            503,
            'unavailable',
            'Service unavailable',
            'the event store is unavailable; retry later',
            {},
            {
              'retry-after': '1',
            },
          );
        }
        await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, 20, 200)));
      }
    }
  }
}
