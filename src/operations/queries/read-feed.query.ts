import { Query } from '@nestjs/cqrs';
import type { StoredEvent } from '../../envelope/operation-event';

/** Events after a global position, in position order (the global feed). */
export class ReadFeedQuery extends Query<StoredEvent[]> {
  constructor(
    readonly after: number,
    readonly limit: number,
  ) {
    super();
  }
}
