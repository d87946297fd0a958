import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { StoredEvent } from '../../envelope/operation-event';
import { EventStore } from '../../event-store/event-store.service';
import { ReadFeedQuery } from './read-feed.query';

@QueryHandler(ReadFeedQuery)
export class ReadFeedHandler implements IQueryHandler<ReadFeedQuery, StoredEvent[]> {
  constructor(private readonly store: EventStore) {}

  execute(query: ReadFeedQuery): Promise<StoredEvent[]> {
    return this.store.readFeed(query.after, query.limit);
  }
}
