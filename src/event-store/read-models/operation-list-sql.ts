import {
  STAGE_STATUSES,
  type OperationState,
  type OperationStatus,
  type StageStatus,
} from '../../projection/operation-fold';
import type { GlobalPosition } from '../global-position';

// The operator list's SQL: which index a page is read from, given the filters (pure; OperatorReads runs it).

export interface OperationFilter {
  statuses: OperationStatus[];
  stage: string | null;
  stageStatus: StageStatus | null;
  source: string | null;
  updatedAfter: string | null;
  updatedBefore: string | null;
  /** Ids starting with this (ASCII, as every operation id is). */
  idPrefix?: string | null;
}

/** A page of the operator list: newest operations first, by the position of their first event. */
export interface OperationListRequest {
  filter: OperationFilter;
  /** Only operations whose first event is below this position (the previous page's cursor). */
  beforePosition: GlobalPosition | null;
  limit: number;
}

export interface OperationPage {
  items: OperationState[];
  /** The first position of the last item: pass it back to continue; null on the last page. */
  nextAfterPosition: number | null;
}

/**
 * The most operations a narrow range (an updated range, an id prefix) may
 * match for the page to be taken from those matches, sorted, rather than
 * from a scan in first_position order.
 */
export const NARROW_RANGE_AT_MOST = 5000;

/** The range predicates that have an index of their own (updated_at, id), and the cursor. */
function rangePredicates(query: OperationListRequest, param: (value: unknown) => string): string[] {
  const { filter } = query;
  const where: string[] = [];
  if (filter.updatedAfter !== null) where.push(`o.updated_at > ${param(filter.updatedAfter)}::timestamptz`);
  if (filter.updatedBefore !== null) where.push(`o.updated_at < ${param(filter.updatedBefore)}::timestamptz`);
  if (filter.idPrefix) {
    // Ids are ASCII, so in byte order (collation "C") those starting with the prefix are exactly the
    // range [prefix, prefix with its last character + 1): one range of operations_id_prefix_idx.
    const last = filter.idPrefix.length - 1;
    const upper = filter.idPrefix.slice(0, last) + String.fromCharCode(filter.idPrefix.charCodeAt(last) + 1);
    where.push(`o.id COLLATE "C" >= ${param(filter.idPrefix)} AND o.id COLLATE "C" < ${param(upper)}`);
  }
  return where;
}

function parameters() {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  return { params, param };
}

/**
 * Counts, up to one more than NARROW_RANGE_AT_MOST, the operations the range
 * filters match (over their own index, so it costs at most that many index
 * entries); null when no range filter is set. A count within the bound makes
 * the list query a narrow one.
 */
export function narrowRangeProbeSql(query: OperationListRequest): { sql: string; params: unknown[] } | null {
  const { params, param } = parameters();
  const ranges = rangePredicates(query, param);
  if (ranges.length === 0) return null;
  const cursor = query.beforePosition !== null ? ` AND o.first_position < ${param(query.beforePosition)}` : '';
  const sql = `SELECT count(*)::int AS n FROM (SELECT 1 FROM operations o
    WHERE o.version > 0 AND ${ranges.join(' AND ')}${cursor} LIMIT ${NARROW_RANGE_AT_MOST + 1}) matched`;
  return { sql, params };
}

/**
 * Builds the query from the filters that are set. Every page is a keyset range
 * scan of an index in first_position order, so its cost is the page, not the
 * table: with a stage filter the scan runs over operation_stages' key (stage,
 * status, first_position, id), with a source filter over operation_sources'
 * (source, first_position, id), otherwise over operations itself; the other
 * filters are checked on the rows that scan returns.
 *
 * A range filter (updated range, id prefix) that matches few operations would
 * make that scan pass over every operation outside the range first (a range in
 * the middle of a large log: seconds). So when the probe found the range narrow
 * (`narrow`), the page is taken from the range's own index instead: the
 * matching operations (at most NARROW_RANGE_AT_MOST) are read, the other
 * filters checked on them by key, and sorted; the cost is the matches.
 */
export function listOperationsSql(query: OperationListRequest, narrow = false): { sql: string; params: unknown[] } {
  const { filter } = query;
  const { params, param } = parameters();
  const where = ['o.version > 0'];
  if (narrow) {
    const cursor = query.beforePosition !== null ? ` AND o.first_position < ${param(query.beforePosition)}` : '';
    // OFFSET 0 keeps the planner from flattening the range read into a scan in first_position order.
    const from = `(SELECT * FROM operations o WHERE o.version > 0 AND ${rangePredicates(query, param).join(' AND ')}${cursor}
      OFFSET 0) o`;
    if (filter.stage !== null) {
      const statuses = filter.stageStatus !== null ? [filter.stageStatus] : STAGE_STATUSES;
      where.push(
        `EXISTS (SELECT 1 FROM operation_stages st WHERE st.stage = ${param(filter.stage)}
                 AND st.status = ANY(${param(statuses)}::text[]) AND st.first_position = o.first_position
                 AND st.operation_id = o.id)`,
      );
    }
    if (filter.source !== null) {
      where.push(
        `EXISTS (SELECT 1 FROM operation_sources src WHERE src.source = ${param(filter.source)}
                 AND src.first_position = o.first_position AND src.operation_id = o.id)`,
      );
    }
    if (filter.statuses.length > 0) where.push(`o.status = ANY(${param(filter.statuses)}::text[])`);
    const sql = `SELECT o.state, o.first_position FROM ${from} WHERE ${where.join(' AND ')}
      ORDER BY o.first_position DESC LIMIT ${param(query.limit + 1)}`;
    return { sql, params };
  }
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
  where.push(...rangePredicates(query, param));
  if (query.beforePosition !== null && filter.stage === null) where.push(`${order} < ${param(query.beforePosition)}`);
  const sql = `SELECT o.state, o.first_position FROM ${from} WHERE ${where.join(' AND ')}
    ORDER BY ${order} DESC LIMIT ${param(query.limit + 1)}`;
  return { sql, params };
}
