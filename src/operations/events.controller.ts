import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { presentEvent } from './event-presenter';
import { ReadFeedQuery } from './queries/read-feed.query';

export class FeedQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'after must be an integer global position' })
  @Min(0, { message: 'after must be >= 0' })
  after?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 1000' })
  @Max(1000, { message: 'limit must be between 1 and 1000' })
  limit?: number;
}

@Controller('v1/events')
export class EventsController {
  constructor(private readonly queries: QueryBus) {}

  /**
   * The global feed: every event after `after`, in position order. Polling it
   * with the returned `nextAfter` sees every event exactly once.
   */
  @Get()
  async feed(@Query() query: FeedQuery) {
    const after = query.after ?? 0;
    const events = await this.queries.execute(new ReadFeedQuery(after, query.limit ?? 100));
    return {
      events: events.map(presentEvent),
      nextAfter: events.length > 0 ? events[events.length - 1].position : after,
    };
  }
}
