import { Query } from '@nestjs/cqrs';
import type { StageEventFact } from '../stage-attempts';

/** The stage events of one operation (up to a version), for the attempts of its timeline. */
export class GetStageEventsQuery extends Query<StageEventFact[]> {
  constructor(
    readonly operationId: string,
    /** Null: the whole history. */
    readonly atVersion: number | null,
  ) {
    super();
  }
}
