import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { toGlobalPosition } from '../../event-store/global-position';
import { STAGE_STATUSES, type OperationState } from '../../projection/operation-fold';
import { ListOperationsQuery, type OperationPage } from './list-operations.query';

/**
 * Builds the query from the filters that are set. Every page is a keyset range
 * scan of an index in first_position order, so its cost is the page, not the
 * table: with a stage filter the scan runs over operation_stages' key (stage,
 * status, first_position, id), with a source filter over operation_sources'
 * (source, first_position, id), otherwise over operations itself; the other
 * filters are checked on the rows that scan returns.
 */
export function listOperationsSql(query: ListOperationsQuery): { sql: string; params: unknown[] } {
  const { filter } = query;
  const params: unknown[] = [];
  const where = ['o.version > 0'];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // The table whose first_position index drives the scan.
  let from = 'operations o';
  let order = 'o.first_position';
  if (filter.stage !== null) {
    // operation_stages' key is (stage, status, first_position, id): one status is one backward range
    // scan; any status is the four scans merged in first_position order (a Merge Append).
    const stage = param(filter.stage);
    const statuses = filter.stageStatus !== null ? [filter.stageStatus] : STAGE_STATUSES;
    const cursor = query.beforePosition !== null ? ` AND first_position < ${param(query.beforePosition)}` : '';
    const scans = statuses.map(
      (status) =>
        `(SELECT first_position, operation_id FROM operation_stages
          WHERE stage = ${stage} AND status = ${param(status)}${cursor} ORDER BY first_position DESC)`,
    );
    from = `(${scans.join(' UNION ALL ')}) s JOIN operations o ON o.id = s.operation_id`;
    order = 's.first_position';
    if (filter.source !== null) {
      where.push(
        `EXISTS (SELECT 1 FROM operation_sources src WHERE src.source = ${param(filter.source)}
                 AND src.first_position = o.first_position AND src.operation_id = o.id)`,
      );
    }
  } else if (filter.source !== null) {
    from = `operation_sources src JOIN operations o ON o.id = src.operation_id`;
    order = 'src.first_position';
    where.push(`src.source = ${param(filter.source)}`);
  }
  if (filter.statuses.length > 0) where.push(`o.status = ANY(${param(filter.statuses)}::text[])`);
  if (filter.updatedAfter !== null) where.push(`o.updated_at > ${param(filter.updatedAfter)}::timestamptz`);
  if (filter.updatedBefore !== null) where.push(`o.updated_at < ${param(filter.updatedBefore)}::timestamptz`);
  if (filter.idPrefix) {
    // Ids are ASCII, so in byte order (collation "C") those starting with the prefix are exactly the
    // range [prefix, prefix with its last character + 1): one range of operations_id_prefix_idx.
    const last = filter.idPrefix.length - 1;
    const upper = filter.idPrefix.slice(0, last) + String.fromCharCode(filter.idPrefix.charCodeAt(last) + 1);
    where.push(`o.id COLLATE "C" >= ${param(filter.idPrefix)} AND o.id COLLATE "C" < ${param(upper)}`);
  }
  if (query.beforePosition !== null && filter.stage === null) where.push(`${order} < ${param(query.beforePosition)}`);
  const sql = `SELECT o.state, o.first_position FROM ${from} WHERE ${where.join(' AND ')}
    ORDER BY ${order} DESC LIMIT ${param(query.limit + 1)}`;
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
