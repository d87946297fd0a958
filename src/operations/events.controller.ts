import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FeedCursorInput, FeedCursorQuery } from '../common/feed-cursor-params';
import { encodeFeedCursor } from '../contract/feed-cursor';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { FeedPageDto } from '../openapi/schemas/feed-page.schema';
import { presentEvent } from '../common/event-presenter';
import { ReadFeedQuery } from './queries/read-feed.query';
import { PageLimit } from '../common/page-limit';

export class FeedQuery {
  @FeedCursorQuery({
    example: '8412:1042',
    description:
      'The `nextAfter` of the previous page (opaque; default `0` = from the start). A bare global position is ' +
      'accepted too: the events after the one stored at it.',
  })
  after?: FeedCursorInput;

  @PageLimit(1000, 100, 'events')
  limit?: number;
}

@ApiTags('events')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly queries: QueryBus) {}

  /**
   * The global feed: every event after `after`, in feed order. Polling it with the
   * returned `nextAfter` sees every event exactly once.
   */
  @Get()
  @ApiOperation({
    summary: 'Read the global feed',
    description:
      'Every event of every operation after the cursor `after`, in feed order: by the id of the transaction that ' +
      'stored it, then position (appends run in parallel, so positions are not committed in order). Polling with ' +
      '`after = nextAfter` sees every event exactly once: the feed shows only the events of transactions older ' +
      'than the oldest one still running, so none can later appear before a cursor already passed. A long ' +
      'transaction holds the feed back (`opledger_feed_lag_seconds`); it never makes it skip. For a push version ' +
      'see GET /v1/events/watch. Role: reader.',
  })
  @ApiOkResponse({ type: FeedPageDto, description: 'A page of the feed (empty when nothing is newer).' })
  @ApiProblemResponse(400, 'A bad `after` or `limit`, or an unknown query parameter.', {
    badAfter: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail:
        'after must be a feed cursor (a `nextAfter` or event-stream id, e.g. "8412:1042") or a global position ' +
        '(an integer from 0 to 9007199254740991), got "18965905600350871552"',
      instance: '/v1/events?after=18965905600350871552',
      field: 'after',
    },
    badLimit: PROBLEM_EXAMPLES.badLimit('/v1/events', 1000),
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/events'),
  })
  @ApiAuthProblems('reader', '/v1/events')
  async feed(@Query() query: FeedQuery) {
    const { events, next } = await this.queries.execute(
      new ReadFeedQuery(query.after ?? { kind: 'position', position: 0 }, query.limit ?? 100),
    );
    return { events: events.map(presentEvent), nextAfter: encodeFeedCursor(next) };
  }
}
