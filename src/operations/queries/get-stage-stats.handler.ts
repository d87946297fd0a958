import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { OperatorReads } from '../../event-store/read-models/operator-reads';
import {
  buildStageStats,
  lastMinutes,
  SERIES_MINUTES,
  STAGE_STATS_WINDOWS,
  type StageStatsReport,
} from '../stage-stats';
import { GetStageStatsQuery } from './get-stage-stats.query';

/** The window's rollups as the read models hold them, assembled into the report (buildStageStats, pure). */
@QueryHandler(GetStageStatsQuery)
export class GetStageStatsHandler implements IQueryHandler<GetStageStatsQuery, StageStatsReport> {
  constructor(private readonly reads: OperatorReads) {}

  async execute(query: GetStageStatsQuery): Promise<StageStatsReport> {
    const currentMinute = lastMinutes(query.now.toISOString(), 1)[0];
    const windowMinutes = STAGE_STATS_WINDOWS[query.window];
    const [from] = lastMinutes(currentMinute, windowMinutes);
    const [seriesFrom] = lastMinutes(currentMinute, SERIES_MINUTES);
    const rollups = await this.reads.stageRollups({ from, to: currentMinute, seriesFrom, byHour: windowMinutes > 60 });
    return buildStageStats({ window: query.window, currentMinute, ...rollups });
  }
}
