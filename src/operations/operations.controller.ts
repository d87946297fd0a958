import { Controller, Get, Headers, HttpStatus, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Problems } from '../common/problem';
import { canonicalTimeOfDate } from '../envelope/event-time';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiOperationIdParam, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { OperationListDto } from '../openapi/schemas/operation-list.schema';
import { OperationStateDto } from '../openapi/schemas/operation-state.schema';
import { EventsPageDto } from '../openapi/schemas/events-page.schema';
import { OperationTimelineDto } from '../openapi/schemas/timeline.schema';
import type { OperationState } from '../projection/operation-fold';
import { presentEvent } from './event-presenter';
import {
  checkOperationId,
  decodeListCursor,
  encodeListCursor,
  EventsPageQuery,
  GetOperationParams,
  ListOperationsParams,
} from './operation-params';
import { GetOperationAtQuery } from './queries/get-operation-at.query';
import { GetOperationEventsQuery } from './queries/get-operation-events.query';
import { GetOperationDocumentQuery } from './queries/get-operation-document.query';
import { GetOperationQuery } from './queries/get-operation.query';
import { ListOperationsQuery } from './queries/list-operations.query';
import { GetStageEventsQuery } from './queries/get-stage-events.query';
import { stageAttempts } from './stage-attempts';
import { buildTimeline } from './timeline';
import { TimelineParams } from './timeline-params';

const DEFAULT_EVENTS_PAGE = 100;
const DEFAULT_LIST_PAGE = 50;

/** True when an If-None-Match header lists the given strong or weak tag (or *). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

@ApiTags('operations')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/operations')
export class OperationsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({
    summary: 'List operations',
    description:
      'Newest first (by the position of their first event), filtered by status, stage, stage status, source and ' +
      'update time; every filter is optional and they combine with AND. Pages with an opaque cursor that stays ' +
      'stable while new operations arrive. Role: reader.',
  })
  @ApiOkResponse({ type: OperationListDto, description: 'A page of operation states.' })
  @ApiProblemResponse(400, 'A parameter is invalid or unknown; `field` names it.', {
    badStatus: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'status must be one or more of pending, running, succeeded, failed, cancelled',
      instance: '/v1/operations?status=done',
      field: 'status',
    },
    stageStatusWithoutStage: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'stageStatus needs stage: the status of which stage?',
      instance: '/v1/operations?stageStatus=failed',
      field: 'stageStatus',
    },
    badCursor: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'cursor must come from a previous page (nextCursor)',
      instance: '/v1/operations?cursor=xyz',
      field: 'cursor',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations'),
  })
  @ApiAuthProblems('reader', '/v1/operations')
  async list(@Query() params: ListOperationsParams) {
    if (params.stageStatus !== undefined && params.stage === undefined) {
      throw Problems.validation('stageStatus', 'stageStatus needs stage: the status of which stage?');
    }
    const limit = params.limit ?? DEFAULT_LIST_PAGE;
    const page = await this.queries.execute(
      new ListOperationsQuery(
        {
          statuses: params.status ?? [],
          stage: params.stage ?? null,
          stageStatus: params.stageStatus ?? null,
          source: params.source ?? null,
          updatedAfter: params.updatedAfter ?? null,
          updatedBefore: params.updatedBefore ?? null,
          idPrefix: params.idPrefix ?? null,
        },
        params.cursor === undefined ? null : decodeListCursor(params.cursor),
        limit,
      ),
    );
    return {
      items: page.items,
      nextCursor: page.nextAfterPosition === null ? null : encodeListCursor(page.nextAfterPosition),
    };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get the state of an operation',
    description:
      'The current state, with its version as a strong ETag (`"6"`): send it back as `If-None-Match` to get 304 ' +
      'while nothing changed, or as `If-Match` on an append. With `atVersion` and/or `asOf`, the state at that ' +
      'point of its history instead (time travel: folded from the log by the same rules; no ETag). Role: reader.',
  })
  @ApiOperationIdParam()
  @ApiHeader({
    name: 'if-none-match',
    required: false,
    description: 'An ETag from a previous response (`"6"`, `W/"6"`, a list, or `*`): 304 when it still matches.',
    schema: { type: 'string', example: '"6"' },
  })
  @ApiOkResponse({
    type: OperationStateDto,
    description: 'The state.',
    headers: {
      ETag: {
        description: 'The operation version, quoted (only for the current state, not for time travel).',
        schema: { type: 'string', example: '"6"' },
      },
    },
  })
  @ApiNotModifiedResponse({
    description: 'If-None-Match matched the current version: no body.',
    headers: { ETag: { description: 'The operation version, quoted.', schema: { type: 'string', example: '"6"' } } },
  })
  @ApiProblemResponse(400, 'A bad operation id, atVersion or asOf, or an unknown query parameter.', {
    badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!'),
    badAsOf: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'asOf must be an RFC 3339 timestamp, e.g. 2026-11-25T16:00:00Z',
      instance: '/v1/operations/order-42?asOf=yesterday',
      field: 'asOf',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42'),
  })
  @ApiProblemResponse(404, 'No events recorded for this operation (or none at the requested point of its history).', {
    unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42'),
    beforeHistory: {
      type: 'not-found',
      title: 'Operation not found',
      status: 404,
      detail: 'operation "order-42" had no events at the requested point of its history',
      instance: '/v1/operations/order-42?asOf=1999-01-01T00:00:00Z',
    },
  })
  @ApiAuthProblems('reader', '/v1/operations/order-42')
  async getOperation(
    @Param('id') id: string,
    @Query() params: GetOperationParams,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OperationState | string | undefined> {
    const operationId = checkOperationId(id);
    if (params.atVersion !== undefined || params.asOf !== undefined) {
      const past = await this.queries.execute(
        new GetOperationAtQuery(operationId, params.atVersion ?? null, params.asOf ?? null),
      );
      if (!past) {
        throw Problems.notFound('Operation', `operation "${id}" had no events at the requested point of its history`);
      }
      return past;
    }
    const document = await this.queries.execute(new GetOperationDocumentQuery(operationId));
    if (!document) throw Problems.notFound('Operation', `no events have been recorded for operation "${id}"`);
    const etag = `"${document.version}"`;
    void reply.header('etag', etag);
    if (matchesEtag(ifNoneMatch, etag)) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    void reply.header('content-type', 'application/json; charset=utf-8');
    return document.json;
  }

  @Get(':id/events')
  @ApiOperation({
    summary: "Page through an operation's history",
    description:
      'The stored events of one operation in version order (1, 2, 3… gap-free), `limit` at a time from ' +
      '`fromVersion`; `nextFromVersion` says where the next page starts. Role: reader.',
  })
  @ApiOperationIdParam()
  @ApiOkResponse({ type: EventsPageDto, description: 'A page of the history.' })
  @ApiProblemResponse(400, 'A bad operation id, fromVersion or limit, or an unknown query parameter.', {
    badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/events'),
    badLimit: PROBLEM_EXAMPLES.badLimit('/v1/operations/order-42/events', 1000),
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42/events'),
  })
  @ApiProblemResponse(404, 'No events recorded for this operation.', {
    unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42/events'),
  })
  @ApiAuthProblems('reader', '/v1/operations/order-42/events')
  async getEvents(@Param('id') id: string, @Query() page: EventsPageQuery) {
    const operationId = checkOperationId(id);
    const fromVersion = page.fromVersion ?? 1;
    const limit = page.limit ?? DEFAULT_EVENTS_PAGE;
    // One more than asked tells whether another page exists without a count query.
    const events = await this.queries.execute(new GetOperationEventsQuery(operationId, fromVersion, limit + 1));
    if (events.length === 0) await this.requireState(operationId);
    return {
      operationId,
      events: events.slice(0, limit).map(presentEvent),
      nextFromVersion: events.length > limit ? events[limit].version : null,
    };
  }

  @Get(':id/timeline')
  @ApiOperation({
    summary: 'Where the time of an operation went',
    description:
      'Its stages ordered by first start, with attempts (counted, and each one with its start, end, outcome and ' +
      'error: one Gantt bar per attempt), durations (to now while running), which stages run now, and the elapsed ' +
      'time of the whole operation. With `atVersion`, the timeline as it was right after that version. Role: reader.',
  })
  @ApiOperationIdParam()
  @ApiOkResponse({ type: OperationTimelineDto, description: 'The timeline.' })
  @ApiProblemResponse(400, 'A bad operation id or atVersion, or an unknown query parameter.', {
    badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/timeline'),
    badAtVersion: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'atVersion must be an integer from 1 to 2147483647',
      instance: '/v1/operations/order-42/timeline?atVersion=0',
      field: 'atVersion',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42/timeline'),
  })
  @ApiProblemResponse(404, 'No events recorded for this operation (or none at the requested version).', {
    unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42/timeline'),
  })
  @ApiAuthProblems('reader', '/v1/operations/order-42/timeline')
  async getTimeline(@Param('id') id: string, @Query() params: TimelineParams) {
    const operationId = checkOperationId(id);
    const atVersion = params.atVersion ?? null;
    const [state, stageEvents] = await Promise.all([
      atVersion === null
        ? this.requireState(operationId)
        : this.queries.execute(new GetOperationAtQuery(operationId, atVersion, null)),
      this.queries.execute(new GetStageEventsQuery(operationId, atVersion)),
    ]);
    if (!state) {
      throw Problems.notFound('Operation', `operation "${id}" had no events at the requested point of its history`);
    }
    // In the past, "now" is the last moment that version knew of.
    const now = atVersion === null ? canonicalTimeOfDate(new Date()) : state.updatedAt;
    return buildTimeline(state, now, stageAttempts(stageEvents));
  }

  private async requireState(operationId: string): Promise<OperationState> {
    const state = await this.queries.execute(new GetOperationQuery(operationId));
    if (!state) throw Problems.notFound('Operation', `no events have been recorded for operation "${operationId}"`);
    return state;
  }
}
