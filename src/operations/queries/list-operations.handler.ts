import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { OperatorReads } from '../../event-store/read-models/operator-reads';
import { ListOperationsQuery, type OperationPage } from './list-operations.query';

@QueryHandler(ListOperationsQuery)
export class ListOperationsHandler implements IQueryHandler<ListOperationsQuery, OperationPage> {
  constructor(private readonly reads: OperatorReads) {}

  execute(query: ListOperationsQuery): Promise<OperationPage> {
    return this.reads.listOperations(query);
  }
}
