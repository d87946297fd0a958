import { Controller, Get, Headers, HttpStatus, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { Problems } from '../common/problem';
import { canonicalTimeOfDate } from '../envelope/event-time';
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
import { GetOperationQuery } from './queries/get-operation.query';
import { ListOperationsQuery } from './queries/list-operations.query';
import { buildTimeline } from './timeline';

const DEFAULT_EVENTS_PAGE = 100;
const DEFAULT_LIST_PAGE = 50;

function etagOf(state: OperationState): string {
  return `"${state.version}"`;
}

/** True when an If-None-Match header lists the given strong or weak tag (or *). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

@Controller('v1/operations')
export class OperationsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
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
  async getOperation(
    @Param('id') id: string,
    @Query() params: GetOperationParams,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OperationState | undefined> {
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
    const state = await this.requireState(operationId);
    const etag = etagOf(state);
    void reply.header('etag', etag);
    if (matchesEtag(ifNoneMatch, etag)) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return state;
  }

  @Get(':id/events')
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
  async getTimeline(@Param('id') id: string) {
    const state = await this.requireState(checkOperationId(id));
    return buildTimeline(state, canonicalTimeOfDate(new Date()));
  }

  private async requireState(operationId: string): Promise<OperationState> {
    const state = await this.queries.execute(new GetOperationQuery(operationId));
    if (!state) throw Problems.notFound('Operation', `no events have been recorded for operation "${operationId}"`);
    return state;
  }
}
