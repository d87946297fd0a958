import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { FeedPageDto } from '../openapi/schemas/feed-page.schema';
import { presentEvent } from './event-presenter';
import { ReadFeedQuery } from './queries/read-feed.query';
import { PageLimit } from '../common/page-limit';

export class FeedQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    default: 0,
    example: 1042,
    description: 'A global position: the events after it (the `nextAfter` of the previous page; 0 = from the start).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'after must be an integer global position' })
  @Min(0, { message: 'after must be >= 0' })
  after?: number;

  @PageLimit(1000, 100, 'events')
  limit?: number;
}

@ApiTags('events')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly queries: QueryBus) {}

  /**
   * The global feed: every event after `after`, in position order. Polling it
   * with the returned `nextAfter` sees every event exactly once.
   */
  @Get()
  @ApiOperation({
    summary: 'Read the global feed',
    description:
      'Every event of every operation after the position `after`, in position order. Polling with ' +
      '`after = nextAfter` sees every event exactly once: positions become visible in the order they were ' +
      'assigned, so a reader never skips one. For a push version see GET /v1/events/watch. Role: reader.',
  })
  @ApiOkResponse({ type: FeedPageDto, description: 'A page of the feed (empty when nothing is newer).' })
  @ApiProblemResponse(400, 'A bad `after` or `limit`, or an unknown query parameter.', {
    badAfter: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'after must be >= 0',
      instance: '/v1/events?after=-1',
      field: 'after',
    },
    badLimit: PROBLEM_EXAMPLES.badLimit('/v1/events', 1000),
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/events'),
  })
  @ApiAuthProblems('reader', '/v1/events')
  async feed(@Query() query: FeedQuery) {
    const after = query.after ?? 0;
    const events = await this.queries.execute(new ReadFeedQuery(after, query.limit ?? 100));
    return {
      events: events.map(presentEvent),
      nextAfter: events.length > 0 ? events[events.length - 1].position : after,
    };
  }
}
