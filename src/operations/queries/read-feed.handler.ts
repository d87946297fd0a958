import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventStore } from '../../event-store/event-store.service';
import { type FeedPage, ReadFeedQuery } from './read-feed.query';

@QueryHandler(ReadFeedQuery)
export class ReadFeedHandler implements IQueryHandler<ReadFeedQuery, FeedPage> {
  constructor(private readonly store: EventStore) {}

  async execute({ after, limit }: ReadFeedQuery): Promise<FeedPage> {
    const from = after.kind === 'cursor' ? after.cursor : await this.store.feedCursorAt(after.position);
    const events = await this.store.readFeed(from, limit);
    return { events, next: events.length > 0 ? events[events.length - 1].cursor : from };
  }
}
