import { Query } from '@nestjs/cqrs';
import type { OperationState, OperationStatus, StageStatus } from '../../projection/operation-fold';

export interface OperationFilter {
  statuses: OperationStatus[];
  stage: string | null;
  stageStatus: StageStatus | null;
  source: string | null;
  updatedAfter: string | null;
  updatedBefore: string | null;
  /** Ids starting with this (ASCII, as every operation id is). */
  idPrefix?: string | null;
}

export interface OperationPage {
  items: OperationState[];
  /** The first position of the last item: pass it back to continue; null on the last page. */
  nextAfterPosition: number | null;
}

/** Newest operations first, by the position of their first event (stable while new ones arrive). */
export class ListOperationsQuery extends Query<OperationPage> {
  constructor(
    readonly filter: OperationFilter,
    readonly beforePosition: number | null,
    readonly limit: number,
  ) {
    super();
  }
}
