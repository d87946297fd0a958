import { Controller, Get, Headers, HttpStatus, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Problems } from '../common/problem';
import { canonicalTimeOfDate } from '../envelope/event-time';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import type { OperationState } from '../projection/operation-fold';
import { matchesEtag, versionEtag } from '../common/etag';
import { presentEvent } from '../common/event-presenter';
import { checkOperationId } from '../common/operation-id';
import {
  GetOperationDocs,
  GetOperationEventsDocs,
  GetOperationTimelineDocs,
  ListOperationsDocs,
} from './operations.api-docs';
import {
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

@ApiTags('operations')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/operations')
export class OperationsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ListOperationsDocs()
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
  @GetOperationDocs()
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
    const etag = versionEtag(document.version);
    void reply.header('etag', etag);
    if (matchesEtag(ifNoneMatch, etag)) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    void reply.header('content-type', 'application/json; charset=utf-8');
    return document.json;
  }

  @Get(':id/events')
  @GetOperationEventsDocs()
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
  @GetOperationTimelineDocs()
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
