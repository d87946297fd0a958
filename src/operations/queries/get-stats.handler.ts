import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPERATION_STATUSES, type OperationStatus } from '../../projection/operation-fold';
import { GetStatsQuery, type OperationStats } from './get-stats.query';

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery, OperationStats> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(): Promise<OperationStats> {
    // One snapshot for both counts, so they agree with each other.
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const byStatusRows: { status: OperationStatus; count: string }[] = await manager.query(
        `SELECT status, count(*) AS count FROM operations WHERE version > 0 GROUP BY status`,
      );
      const stageRows: { stage: string; count: string }[] = await manager.query(
        `SELECT s.key AS stage, count(*) AS count
         FROM operations o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s
         WHERE o.status IN ('pending', 'running') AND s.value ->> 'status' = 'running'
         GROUP BY s.key ORDER BY s.key`,
      );
      const byStatus = Object.fromEntries(OPERATION_STATUSES.map((s) => [s, 0])) as Record<OperationStatus, number>;
      for (const row of byStatusRows) byStatus[row.status] = Number(row.count);
      const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
      return {
        total,
        byStatus,
        inProgress: byStatus.pending + byStatus.running,
        runningByStage: Object.fromEntries(stageRows.map((r) => [r.stage, Number(r.count)])),
      };
    });
  }
}
