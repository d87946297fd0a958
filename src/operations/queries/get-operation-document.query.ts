import { Query } from '@nestjs/cqrs';
import type { OperationDocument } from '../../event-store/projection/projection-store';

export type { OperationDocument };

export class GetOperationDocumentQuery extends Query<OperationDocument | null> {
  constructor(readonly operationId: string) {
    super();
  }
}
