import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProjectionStore } from '../../event-store/projection/projection-store';
import type { OperationState } from '../../projection/operation-fold';
import { GetOperationQuery } from './get-operation.query';

@QueryHandler(GetOperationQuery)
export class GetOperationHandler implements IQueryHandler<GetOperationQuery, OperationState | null> {
  constructor(private readonly projections: ProjectionStore) {}

  execute(query: GetOperationQuery): Promise<OperationState | null> {
    return this.projections.readState(query.operationId);
  }
}
