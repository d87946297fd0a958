import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type FeedCursorInput, FeedCursorQuery, FeedLastEventId, feedCursorSchema } from '../common/feed-cursor-params';
import { INTEGER_KINDS, integerSchema, LastEventId } from '../common/integer-params';
import { type AuthenticatedRequest, callerId } from '../auth/caller';
import { Problems } from '../common/problem';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiOperationIdParam, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { checkOperationId } from '../common/operation-id';
import type { WatchStream } from './watch-streams';
import { type StreamOwner, WatchService } from './watch.service';

export class WatchFeedQuery {
  @FeedCursorQuery({
    example: '8412:1042',
    description:
      'Start after this feed cursor (an event-stream id or a `nextAfter` of GET /v1/events; a bare global position ' +
      'is accepted too), catching up from the log first; default: the current end of the feed. Last-Event-ID, ' +
      'when sent, wins.',
  })
  after?: FeedCursorInput;
}

const SSE_UNAVAILABLE = {
  unavailable: {
    type: 'unavailable',
    title: 'Service unavailable',
    status: 503,
    detail: 'the event log cannot be read right now; retry',
    instance: '/v1/events/watch',
  },
};
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before reconnecting.', example: '1' } };
const TOO_MANY_STREAMS = (instance: string) => ({
  instanceCap: {
    type: 'too-many-streams',
    title: 'Too many open streams',
    status: 503,
    detail:
      'this instance serves at most 1000 watch streams at once (WATCH_MAX_STREAMS); retry later, or on another instance',
    instance,
  },
});
const TOO_MANY_OWN_STREAMS = (instance: string) => ({
  keyCap: {
    type: 'too-many-streams',
    title: 'Too many open streams',
    status: 429,
    detail:
      'this API key has 100 watch streams open on this instance, the most allowed (WATCH_MAX_STREAMS_PER_KEY); close one first',
    instance,
  },
});

/** The caller a stream counts against, and whose key ends it when revoked. */
function ownerOf(request: FastifyRequest): StreamOwner {
  const { apiKey } = request as AuthenticatedRequest;
  return { callerId: callerId(apiKey, request), key: apiKey ?? null };
}

/**
 * Live watch over Server-Sent Events. The handlers validate and open the stream (subscribe,
 * first reads) while errors can still leave as problem+json; only then is the reply hijacked
 * and written raw (Fastify reply.raw), which gives the stream backpressure, heartbeat comments
 * and an explicit close on shutdown.
 */
@ApiTags('watch')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1')
export class WatchController {
  constructor(private readonly watch: WatchService) {}

  /** Every new event of the global feed after `after` (default: the current end of the log). */
  @Get('events/watch')
  @ApiOperation({
    summary: 'Watch the global feed (server-sent events)',
    description:
      'A `text/event-stream` of every new event of every operation, in feed order (as GET /v1/events), without ' +
      'gaps or duplicates across the catch-up/live seam. Frames:\n\n' +
      '- first, a frame with only `id: <cursor>`: the resume point (dispatches nothing);\n' +
      '- `event: event`, `id: <cursor>` (opaque), `data: <StoredEvent JSON>` for each event;\n' +
      '- `: keep-alive` comment lines every 15 s.\n\n' +
      'An EventSource reconnects with `Last-Event-ID` and resumes exactly after the last event it got. ' +
      'The stream ends when the service shuts down. Role: reader.',
  })
  @ApiHeader({
    name: 'last-event-id',
    required: false,
    description:
      'Resume after this event-stream id (sent by a reconnecting EventSource; a bare global position is accepted ' +
      'too); wins over `after`.',
    schema: feedCursorSchema('8412:1042'),
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The stream (the response never completes on its own).',
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'SSE frames; each `data` line of an `event` frame is a StoredEvent.' },
        example:
          'id: 8411:1041\n\nid: 8412:1042\nevent: event\ndata: {"specversion":"1.0","id":"e-7","source":"pipeline/geo",' +
          '"type":"stage.started","subject":"order-42","time":"2026-11-25T16:00:00.120000Z",' +
          '"data":{"stage":"geo"},"version":7,"position":1042,"recordedAt":"2026-11-25T16:00:00.131207Z"}\n\n' +
          ': keep-alive\n\n',
      },
    },
  })
  @ApiProblemResponse(400, 'A bad `after` or Last-Event-ID, or an unknown query parameter.', {
    badLastEventId: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail:
        'Last-Event-ID must be a feed cursor (a `nextAfter` or event-stream id, e.g. "8412:1042") or a global ' +
        'position (an integer from 0 to 9007199254740991), got "abc"',
      instance: '/v1/events/watch',
      field: 'Last-Event-ID',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/events/watch'),
  })
  @ApiAuthProblems('reader', '/v1/events/watch')
  @ApiProblemResponse(
    429,
    'The API key (the client address without keys) already has WATCH_MAX_STREAMS_PER_KEY streams open on this ' +
      'instance (`too-many-streams`), or is over RATE_LIMIT_READS (`too-many-requests`).',
    TOO_MANY_OWN_STREAMS('/v1/events/watch'),
    RETRY_AFTER,
  )
  @ApiProblemResponse(
    503,
    'The log cannot be read, the service is shutting down, or this instance already serves WATCH_MAX_STREAMS ' +
      'streams (`too-many-streams`): reconnect later.',
    { ...SSE_UNAVAILABLE, ...TOO_MANY_STREAMS('/v1/events/watch') },
    RETRY_AFTER,
  )
  async watchFeed(
    @Query() query: WatchFeedQuery,
    @FeedLastEventId() resumeAfter: FeedCursorInput | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const stream = await this.watch.openFeed(ownerOf(request), resumeAfter ?? query.after);
    this.stream(stream, request, reply);
  }

  /** One operation's new events, each run of them followed by the operation's state. */
  @Get('operations/:id/watch')
  @ApiOperation({
    summary: 'Watch one operation (server-sent events)',
    description:
      "A `text/event-stream` of the operation's new events, in version order, each run of them followed by its " +
      'new state. Frames:\n\n' +
      '- first (without Last-Event-ID), `event: state`, `id: <version>`, `data: <OperationState JSON>`: the ' +
      'current state, or `null` for an operation without events yet (then `id: 0`);\n' +
      '- `event: event`, `id: <version>`, `data: <StoredEvent JSON>` for each new event;\n' +
      '- `event: state`, `data: <OperationState JSON>` after each run of events: the state exactly after them;\n' +
      '- `: keep-alive` comment lines every 15 s.\n\n' +
      'With `Last-Event-ID: <version>` (an EventSource reconnecting) it replays the events after that version ' +
      'instead of sending the state first. Role: reader.',
  })
  @ApiOperationIdParam()
  @ApiHeader({
    name: 'last-event-id',
    required: false,
    description: 'Resume after this operation version (sent by a reconnecting EventSource).',
    schema: { ...integerSchema(INTEGER_KINDS.seenVersion), example: 6 },
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The stream (the response never completes on its own).',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'SSE frames; `data` of `state` frames is an OperationState (or null), of `event` frames a StoredEvent.',
        },
        example:
          'id: 6\nevent: state\ndata: {"id":"order-42","status":"running","version":6,"…":"…"}\n\n' +
          'id: 7\nevent: event\ndata: {"specversion":"1.0","id":"e-7","type":"stage.completed","version":7,"…":"…"}\n\n' +
          'event: state\ndata: {"id":"order-42","status":"running","version":7,"…":"…"}\n\n',
      },
    },
  })
  @ApiProblemResponse(400, 'A bad operation id or Last-Event-ID, or any query parameter.', {
    badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/watch'),
    badLastEventId: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'Last-Event-ID must be an operation version (an integer from 0 to 2147483647), got "abc"',
      instance: '/v1/operations/order-42/watch',
      field: 'Last-Event-ID',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42/watch'),
  })
  @ApiAuthProblems('reader', '/v1/operations/order-42/watch')
  @ApiProblemResponse(
    429,
    'The API key (the client address without keys) already has WATCH_MAX_STREAMS_PER_KEY streams open on this ' +
      'instance (`too-many-streams`), or is over RATE_LIMIT_READS (`too-many-requests`).',
    TOO_MANY_OWN_STREAMS('/v1/operations/order-42/watch'),
    RETRY_AFTER,
  )
  @ApiProblemResponse(
    503,
    'The log cannot be read, the service is shutting down, or this instance already serves WATCH_MAX_STREAMS ' +
      'streams (`too-many-streams`): reconnect later.',
    { ...SSE_UNAVAILABLE, ...TOO_MANY_STREAMS('/v1/operations/order-42/watch') },
    RETRY_AFTER,
  )
  async watchOperation(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @LastEventId('seenVersion') resumeAfter: number | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const operationId = checkOperationId(id);
    const unknown = Object.keys(query ?? {})[0];
    if (unknown !== undefined) throw Problems.validation(unknown, `property ${unknown} should not exist`);
    const stream = await this.watch.openOperation(ownerOf(request), operationId, resumeAfter);
    this.stream(stream, request, reply);
  }

  private stream(stream: WatchStream, request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    stream.start({
      response: reply.raw,
      headers: reply.getHeaders() as Record<string, string | number | string[]>,
      headersOnly: request.method === 'HEAD',
    });
  }
}
