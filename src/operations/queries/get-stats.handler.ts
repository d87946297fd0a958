import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { OperatorReads } from '../../event-store/read-models/operator-reads';
import { OPERATION_STATUSES, type OperationStatus } from '../../projection/operation-fold';
import { GetStatsQuery, type OperationStats } from './get-stats.query';

/** The striped counters (OperatorReads.operationCounts), as the API reports them. */
@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery, OperationStats> {
  constructor(private readonly reads: OperatorReads) {}

  async execute(): Promise<OperationStats> {
    const rows = await this.reads.operationCounts();
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
