import { Query } from '@nestjs/cqrs';
import type { StageStatsReport, StageStatsWindow } from '../stage-stats';

export class GetStageStatsQuery extends Query<StageStatsReport> {
  constructor(
    readonly window: StageStatsWindow,
    /** The instant the window ends at (the service's clock). */
    readonly now: Date = new Date(),
  ) {
    super();
  }
}
