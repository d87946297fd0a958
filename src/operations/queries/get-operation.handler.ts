import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OperationRecord } from '../../event-store/event-store.entities';
import type { OperationState } from '../../projection/operation-fold';
import { GetOperationQuery } from './get-operation.query';

@QueryHandler(GetOperationQuery)
export class GetOperationHandler implements IQueryHandler<GetOperationQuery, OperationState | null> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(query: GetOperationQuery): Promise<OperationState | null> {
    const record = await this.dataSource
      .getRepository(OperationRecord)
      .findOne({ where: { id: query.operationId }, select: { id: true, version: true, state: true } });
    return record ? record.state : null;
  }
}
