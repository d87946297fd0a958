import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { toGlobalPosition } from '../../event-store/global-position';
import type { OperationState } from '../../projection/operation-fold';
import { ListOperationsQuery, type OperationPage } from './list-operations.query';

/** Builds the WHERE clause from the filters that are set; every one has an index (see the migrations). */
export function listOperationsSql(query: ListOperationsQuery): { sql: string; params: unknown[] } {
  const { filter } = query;
  const params: unknown[] = [];
  const where = ['o.version > 0'];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.statuses.length > 0) where.push(`o.status = ANY(${param(filter.statuses)}::text[])`);
  if (filter.stage !== null && filter.stageStatus !== null) {
    where.push(
      `o.state -> 'stages' @> jsonb_build_object(${param(filter.stage)}::text, jsonb_build_object('status', ${param(filter.stageStatus)}::text))`,
    );
  } else if (filter.stage !== null) {
    where.push(`o.state -> 'stages' ? ${param(filter.stage)}`);
  }
  if (filter.source !== null) {
    where.push(
      `EXISTS (SELECT 1 FROM operation_events e WHERE e.source = ${param(filter.source)} AND e.operation_id = o.id)`,
    );
  }
  if (filter.updatedAfter !== null) where.push(`o.updated_at > ${param(filter.updatedAfter)}::timestamptz`);
  if (filter.updatedBefore !== null) where.push(`o.updated_at < ${param(filter.updatedBefore)}::timestamptz`);
  if (query.beforePosition !== null) where.push(`o.first_position < ${param(query.beforePosition)}`);
  const sql = `SELECT o.state, o.first_position FROM operations o WHERE ${where.join(' AND ')}
    ORDER BY o.first_position DESC LIMIT ${param(query.limit + 1)}`;
  return { sql, params };
}

@QueryHandler(ListOperationsQuery)
export class ListOperationsHandler implements IQueryHandler<ListOperationsQuery, OperationPage> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(query: ListOperationsQuery): Promise<OperationPage> {
    const { sql, params } = listOperationsSql(query);
    const rows: { state: OperationState; first_position: string }[] = await this.dataSource.query(sql, params);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => row.state),
      nextAfterPosition: rows.length > query.limit ? toGlobalPosition(page[page.length - 1].first_position) : null,
    };
  }
}
