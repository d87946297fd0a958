import { Query } from '@nestjs/cqrs';
import type {
  OperationFilter,
  OperationListRequest,
  OperationPage,
} from '../../event-store/read-models/operator-reads';

export type { OperationFilter, OperationPage };

/** Newest operations first, by the position of their first event (stable while new ones arrive). */
export class ListOperationsQuery extends Query<OperationPage> implements OperationListRequest {
  constructor(
    readonly filter: OperationFilter,
    readonly beforePosition: number | null,
    readonly limit: number,
  ) {
    super();
  }
}
