import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PositionQuery } from '../common/integer-params';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { FeedPageDto } from '../openapi/schemas/feed-page.schema';
import { presentEvent } from '../common/event-presenter';
import { ReadFeedQuery } from './queries/read-feed.query';
import { PageLimit } from '../common/page-limit';

export class FeedQuery {
  @PositionQuery({
    default: 0,
    example: 1042,
    description: 'A global position: the events after it (the `nextAfter` of the previous page; 0 = from the start).',
  })
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
      detail: 'after must be an integer from 0 to 9007199254740991',
      instance: '/v1/events?after=18965905600350871552',
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
