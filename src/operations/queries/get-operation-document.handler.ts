import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GetOperationDocumentQuery, type OperationDocument } from './get-operation-document.query';

@QueryHandler(GetOperationDocumentQuery)
export class GetOperationDocumentHandler implements IQueryHandler<GetOperationDocumentQuery, OperationDocument | null> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(query: GetOperationDocumentQuery): Promise<OperationDocument | null> {
    // state::text skips pg's JSON.parse and the JSON.stringify that would follow: the busiest
    // endpoint streams the stored document as it is. version 0 is an uncommitted append's placeholder.
    const rows: OperationDocument[] = await this.dataSource.query(
      'SELECT version, state::text AS json FROM operations WHERE id = $1 AND version > 0',
      [query.operationId],
    );
    return rows[0] ?? null;
  }
}
