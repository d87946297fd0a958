import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  buildStageStats,
  lastMinutes,
  SERIES_MINUTES,
  STAGE_STATS_WINDOWS,
  type RollupRow,
  type SeriesRow,
  type StageStatsReport,
} from '../stage-stats';
import { GetStageStatsQuery } from './get-stage-stats.query';

const MINUTE_TEXT = `to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI":00.000000Z"')`;
const ROLLUP_COLUMNS = `stage, started, succeeded, failed, skipped, array_to_json(durations)::text AS durations`;

/**
 * Every query reads a bounded range of the rollups' primary keys (minute or
 * hour first): the cost depends on the window and the number of stages, never
 * on the size of the log. The 24-hour window reads whole hours from
 * stage_hour_stats and only its first, partial hour by minute.
 */
@QueryHandler(GetStageStatsQuery)
export class GetStageStatsHandler implements IQueryHandler<GetStageStatsQuery, StageStatsReport> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(query: GetStageStatsQuery): Promise<StageStatsReport> {
    const currentMinute = lastMinutes(query.now.toISOString(), 1)[0];
    const windowMinutes = STAGE_STATS_WINDOWS[query.window];
    const [from] = lastMinutes(currentMinute, windowMinutes);
    const [seriesFrom] = lastMinutes(currentMinute, SERIES_MINUTES);
    const windowSql =
      windowMinutes <= 60
        ? `SELECT ${ROLLUP_COLUMNS} FROM stage_minute_stats WHERE minute >= $1 AND minute <= $2`
        : `SELECT ${ROLLUP_COLUMNS} FROM stage_minute_stats
           WHERE minute >= $1 AND minute < date_trunc('hour', $1::timestamptz) + interval '1 hour' AND minute <= $2
           UNION ALL
           SELECT ${ROLLUP_COLUMNS} FROM stage_hour_stats
           WHERE hour >= date_trunc('hour', $1::timestamptz) + interval '1 hour' AND hour <= $2`;
    const [windowRows, seriesRows, eventRows, running] = await Promise.all([
      this.dataSource.query(windowSql, [from, currentMinute]) as Promise<RollupRow[]>,
      this.dataSource.query(
        `SELECT ${MINUTE_TEXT} AS minute, stage, sum(started) AS started, sum(succeeded) AS succeeded,
                sum(failed) AS failed, sum(skipped) AS skipped
         FROM stage_minute_stats WHERE minute >= $1 AND minute <= $2 GROUP BY minute, stage`,
        [seriesFrom, currentMinute],
      ) as Promise<SeriesRow[]>,
      this.dataSource.query(
        `SELECT ${MINUTE_TEXT} AS minute, sum(events) AS events
         FROM event_minute_counts WHERE minute >= $1 AND minute <= $2 GROUP BY minute`,
        [seriesFrom, currentMinute],
      ) as Promise<{ minute: string; events: string }[]>,
      this.dataSource.query(
        `SELECT stage, sum(count) AS count FROM operation_running_stage_counts GROUP BY stage`,
      ) as Promise<{ stage: string; count: string }[]>,
    ]);
    return buildStageStats({ window: query.window, currentMinute, windowRows, seriesRows, eventRows, running });
  }
}
