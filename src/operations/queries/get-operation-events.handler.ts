import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { StoredEvent } from '../../envelope/operation-event';
import { EventStore } from '../../event-store/event-store.service';
import { GetOperationEventsQuery } from './get-operation-events.query';

@QueryHandler(GetOperationEventsQuery)
export class GetOperationEventsHandler implements IQueryHandler<GetOperationEventsQuery, StoredEvent[]> {
  constructor(private readonly store: EventStore) {}

  execute(query: GetOperationEventsQuery): Promise<StoredEvent[]> {
    return this.store.readOperationEvents(query.operationId, query.fromVersion, query.limit);
  }
}
