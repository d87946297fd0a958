import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { OperationState } from '../../projection/operation-fold';
import { toGlobalPosition } from '../global-position';
import { retryDeadlockedRead } from './deadlock-retry';
import {
  listOperationsSql,
  NARROW_RANGE_AT_MOST,
  narrowRangeProbeSql,
  type OperationListRequest,
  type OperationPage,
} from './operation-list-sql';
import type { RollupRow, SeriesRow, StageRollups } from './stage-rollup-rows';

/** One counter of /v1/stats, stripes added up: an operation status, or a stage running now. */
export interface OperationCountRow {
  kind: 'status' | 'stage';
  key: string;
  count: string;
}

/**
 * Reads the striped counters that the projection's triggers keep exact (migration
 * 1764000500000): a handful of rows whatever the number of operations. One
 * statement, so both counts come from one snapshot and agree with each other.
 */
const COUNTERS_SQL = `
  SELECT 'status' AS kind, status AS key, sum(count)::text AS count FROM operation_status_counts GROUP BY status
  UNION ALL
  SELECT 'stage', stage, sum(count)::text FROM operation_running_stage_counts GROUP BY stage HAVING sum(count) <> 0`;

const MINUTE_TEXT = `to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI":00.000000Z"')`;
const ROLLUP_COLUMNS = `stage, started, succeeded, failed, skipped, array_to_json(durations)::text AS durations`;

/** The window of /v1/stats/stages. */
export interface StageRollupRange {
  /** The window's first and last minute (canonical ISO). */
  from: string;
  to: string;
  /** The series' first minute. */
  seriesFrom: string;
  byHour: boolean;
}

/**
 * The operator's reads over all operations, each served by a read model kept
 * beside the projection (counters, keyset indexes, rollups), so that none
 * counts or scans the projection or the log. Each is tried again if a rebuild's
 * swap made it a deadlock victim (retryDeadlockedRead).
 */
@Injectable()
export class OperatorReads {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  listOperations(request: OperationListRequest): Promise<OperationPage> {
    return retryDeadlockedRead(() => this.readOperationPage(request));
  }

  private async readOperationPage(request: OperationListRequest): Promise<OperationPage> {
    const probe = narrowRangeProbeSql(request);
    let narrow = false;
    if (probe) {
      const [{ n }]: { n: number }[] = await this.dataSource.query(probe.sql, probe.params);
      narrow = n <= NARROW_RANGE_AT_MOST;
    }
    const { sql, params } = listOperationsSql(request, narrow);
    const rows: { state: OperationState; first_position: string }[] = await this.dataSource.query(sql, params);
    const page = rows.slice(0, request.limit);
    return {
      items: page.map((row) => row.state),
      nextAfterPosition: rows.length > request.limit ? toGlobalPosition(page[page.length - 1].first_position) : null,
    };
  }

  /** Operations by status and running stages, from one snapshot. */
  operationCounts(): Promise<OperationCountRow[]> {
    return retryDeadlockedRead(() => this.dataSource.query(COUNTERS_SQL));
  }

  /**
   * The rollups behind /v1/stats/stages: the window's cells, the last hour by minute, events per
   * minute and the stages running now. Every query reads a bounded range of the rollups' primary
   * keys (minute or hour first): the cost depends on the window and the number of stages, never on
   * the size of the log. A window longer than an hour reads whole hours from stage_hour_stats and
   * only its first, partial hour by minute.
   */
  stageRollups(range: StageRollupRange): Promise<StageRollups> {
    return retryDeadlockedRead(() => this.readStageRollups(range));
  }

  private async readStageRollups(range: StageRollupRange): Promise<StageRollups> {
    const windowSql = !range.byHour
      ? `SELECT ${ROLLUP_COLUMNS} FROM stage_minute_stats WHERE minute >= $1 AND minute <= $2`
      : `SELECT ${ROLLUP_COLUMNS} FROM stage_minute_stats
         WHERE minute >= $1 AND minute < date_trunc('hour', $1::timestamptz) + interval '1 hour' AND minute <= $2
         UNION ALL
         SELECT ${ROLLUP_COLUMNS} FROM stage_hour_stats
         WHERE hour >= date_trunc('hour', $1::timestamptz) + interval '1 hour' AND hour <= $2`;
    const [windowRows, seriesRows, eventRows, running] = await Promise.all([
      this.dataSource.query(windowSql, [range.from, range.to]) as Promise<RollupRow[]>,
      this.dataSource.query(
        `SELECT ${MINUTE_TEXT} AS minute, stage, sum(started) AS started, sum(succeeded) AS succeeded,
                sum(failed) AS failed, sum(skipped) AS skipped
         FROM stage_minute_stats WHERE minute >= $1 AND minute <= $2 GROUP BY minute, stage`,
        [range.seriesFrom, range.to],
      ) as Promise<SeriesRow[]>,
      this.dataSource.query(
        `SELECT ${MINUTE_TEXT} AS minute, sum(events) AS events
         FROM event_minute_counts WHERE minute >= $1 AND minute <= $2 GROUP BY minute`,
        [range.seriesFrom, range.to],
      ) as Promise<{ minute: string; events: string }[]>,
      this.dataSource.query(
        `SELECT stage, sum(count) AS count FROM operation_running_stage_counts GROUP BY stage`,
      ) as Promise<{ stage: string; count: string }[]>,
    ]);
    return { windowRows, seriesRows, eventRows, running };
  }
}

export type { OperationFilter, OperationListRequest, OperationPage } from './operation-list-sql';
