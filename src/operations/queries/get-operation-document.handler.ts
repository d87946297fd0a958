import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { GetOperationDocumentQuery, type OperationDocument } from './get-operation-document.query';

@QueryHandler(GetOperationDocumentQuery)
export class GetOperationDocumentHandler implements IQueryHandler<GetOperationDocumentQuery, OperationDocument | null> {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    // The busiest endpoint goes to pg's pool directly, with a named statement that each connection
    // parses and plans once: TypeORM's per-query runner and an unnamed statement cost more than the query.
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async execute(query: GetOperationDocumentQuery): Promise<OperationDocument | null> {
    // state::text skips pg's JSON.parse and the JSON.stringify that would follow: the stored document
    // is sent as it is.
    const { rows } = await this.pool.query<OperationDocument>({
      name: 'opledger-get-operation-document',
      text: 'SELECT version, state::text AS json FROM operations WHERE id = $1',
      values: [query.operationId],
    });
    return rows[0] ?? null;
  }
}
