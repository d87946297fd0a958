import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventStore } from '../../event-store/event-store.service';
import type { StageEventFact } from '../stage-attempts';
import { GetStageEventsQuery } from './get-stage-events.query';

@QueryHandler(GetStageEventsQuery)
export class GetStageEventsHandler implements IQueryHandler<GetStageEventsQuery, StageEventFact[]> {
  constructor(private readonly store: EventStore) {}

  execute(query: GetStageEventsQuery): Promise<StageEventFact[]> {
    return this.store.readStageEvents(query.operationId, query.atVersion);
  }
}
