import { Query } from '@nestjs/cqrs';
import type { OperationState } from '../../projection/operation-fold';

export class GetOperationQuery extends Query<OperationState | null> {
  constructor(readonly operationId: string) {
    super();
  }
}
