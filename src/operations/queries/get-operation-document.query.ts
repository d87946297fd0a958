import { Query } from '@nestjs/cqrs';

/** The stored state as Postgres holds it, serialised: the hot read path sends it without re-encoding. */
export interface OperationDocument {
  version: number;
  json: string;
}

export class GetOperationDocumentQuery extends Query<OperationDocument | null> {
  constructor(readonly operationId: string) {
    super();
  }
}
