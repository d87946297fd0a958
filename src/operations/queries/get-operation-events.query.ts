import { Query } from '@nestjs/cqrs';
import type { StoredEvent } from '../../envelope/operation-event';

export class GetOperationEventsQuery extends Query<StoredEvent[]> {
  constructor(
    readonly operationId: string,
    readonly fromVersion: number,
    readonly limit: number,
  ) {
    super();
  }
}
