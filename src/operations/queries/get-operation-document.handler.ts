import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProjectionStore } from '../../event-store/projection/projection-store';
import { GetOperationDocumentQuery, type OperationDocument } from './get-operation-document.query';

@QueryHandler(GetOperationDocumentQuery)
export class GetOperationDocumentHandler implements IQueryHandler<GetOperationDocumentQuery, OperationDocument | null> {
  constructor(private readonly projections: ProjectionStore) {}

  execute(query: GetOperationDocumentQuery): Promise<OperationDocument | null> {
    return this.projections.readDocument(query.operationId);
  }
}
