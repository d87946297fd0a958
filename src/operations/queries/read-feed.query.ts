import { Query } from '@nestjs/cqrs';
import type { FeedCursorInput } from '../../common/feed-cursor-params';
import type { FeedCursor } from '../../contract/feed-cursor';
import type { FeedEvent } from '../../event-store/event-store.service';

export interface FeedPage {
  events: FeedEvent[];
  /** Where the next page starts: the last event's cursor, or where this one started. */
  next: FeedCursor;
}

/** Events after a feed cursor (or a bare position), in feed order (the global feed). */
export class ReadFeedQuery extends Query<FeedPage> {
  constructor(
    readonly after: FeedCursorInput,
    readonly limit: number,
  ) {
    super();
  }
}
