import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Problems } from '../common/problem';
import type { OperationState } from '../projection/operation-fold';
import { presentEvent } from './event-presenter';
import { checkOperationId, EventsPageQuery } from './operation-params';
import { GetOperationEventsQuery } from './queries/get-operation-events.query';
import { GetOperationQuery } from './queries/get-operation.query';

const DEFAULT_PAGE = 100;

@Controller('v1/operations')
export class OperationsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id')
  async getOperation(@Param('id') id: string): Promise<OperationState> {
    const state = await this.queries.execute(new GetOperationQuery(checkOperationId(id)));
    if (!state) throw Problems.notFound('Operation', `no events have been recorded for operation "${id}"`);
    return state;
  }

  @Get(':id/events')
  async getEvents(@Param('id') id: string, @Query() page: EventsPageQuery) {
    const operationId = checkOperationId(id);
    const fromVersion = page.fromVersion ?? 1;
    const limit = page.limit ?? DEFAULT_PAGE;
    // One more than asked tells whether another page exists without a count query.
    const events = await this.queries.execute(new GetOperationEventsQuery(operationId, fromVersion, limit + 1));
    if (events.length === 0) {
      const state = await this.queries.execute(new GetOperationQuery(operationId));
      if (!state) throw Problems.notFound('Operation', `no events have been recorded for operation "${id}"`);
    }
    const page_ = events.slice(0, limit);
    return {
      operationId,
      events: page_.map(presentEvent),
      nextFromVersion: events.length > limit ? events[limit].version : null,
    };
  }
}
