import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPERATION_STATUSES, type OperationStatus } from '../../projection/operation-fold';
import { GetStatsQuery, type OperationStats } from './get-stats.query';

/**
 * Reads the striped counters that the projection's triggers keep exact (migration
 * 1764000500000): a handful of rows whatever the number of operations. One
 * statement, so both counts come from one snapshot and agree with each other.
 */
const COUNTERS_SQL = `
  SELECT 'status' AS kind, status AS key, sum(count)::text AS count FROM operation_status_counts GROUP BY status
  UNION ALL
  SELECT 'stage', stage, sum(count)::text FROM operation_running_stage_counts GROUP BY stage HAVING sum(count) <> 0`;

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery, OperationStats> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(): Promise<OperationStats> {
    const rows: { kind: 'status' | 'stage'; key: string; count: string }[] = await this.dataSource.query(COUNTERS_SQL);
    const byStatus = Object.fromEntries(OPERATION_STATUSES.map((s) => [s, 0])) as Record<OperationStatus, number>;
    const runningByStage: Record<string, number> = {};
    for (const row of rows.filter((r) => r.kind === 'stage').sort((a, b) => (a.key < b.key ? -1 : 1))) {
      Object.defineProperty(runningByStage, row.key, { value: Number(row.count), enumerable: true, writable: true });
    }
    for (const row of rows) {
      if (row.kind === 'status' && Object.prototype.hasOwnProperty.call(byStatus, row.key)) {
        byStatus[row.key as OperationStatus] = Number(row.count);
      }
    }
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    return { total, byStatus, inProgress: byStatus.pending + byStatus.running, runningByStage };
  }
}
