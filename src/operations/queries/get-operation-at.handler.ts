import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventStore } from '../../event-store/event-store.service';
import { foldEvents, type OperationState } from '../../projection/operation-fold';
import { GetOperationAtQuery } from './get-operation-at.query';

@QueryHandler(GetOperationAtQuery)
export class GetOperationAtHandler implements IQueryHandler<GetOperationAtQuery, OperationState | null> {
  constructor(private readonly store: EventStore) {}

  async execute(query: GetOperationAtQuery): Promise<OperationState | null> {
    const events = await this.store.readOperationHistoryPrefix(query.operationId, query.atVersion, query.asOf);
    // The same fold as the live projector, over the events in version order.
    return foldEvents(events)?.state ?? null;
  }
}
