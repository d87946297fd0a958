import { Query } from '@nestjs/cqrs';
import type { OperationStatus } from '../../projection/operation-fold';

export interface OperationStats {
  total: number;
  byStatus: Record<OperationStatus, number>;
  /** pending + running: the work in progress. */
  inProgress: number;
  /** Stages in status running, among operations still in progress. */
  runningByStage: Record<string, number>;
}

export class GetStatsQuery extends Query<OperationStats> {}
