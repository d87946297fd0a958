/**
 * The operator reads the reads scenario times: every read of issue 14 with
 * parameters that hit real data in the bench workload (a common and a rare
 * value for each filter, first pages and deep keyset pages). Each list read
 * also carries a count query over the projection, so that the table can show
 * how many operations the filter really matches at each size.
 */
import { encodeListCursor } from '../../src/operations/operation-params';
import { RARE_SOURCE, RARE_STAGE } from './rare-operations';

/** control: a route with no database behind it, the floor that the machine's noise sets on every read. */
export type ReadGroup = 'control' | 'stats' | 'list' | 'operation' | 'feed';

export interface OperatorRead {
  /** Stable key in the results (the same read at every size). */
  name: string;
  group: ReadGroup;
  /** The path of one call (a new random id per call where the read is about one operation). */
  path: () => string;
  /** Counts the operations a list read's filters match (cursor included), for the "matching" column. */
  matching?: { sql: string; params: unknown[] };
}

/** What the reads need to know about the loaded data (read once per size, after the load). */
export interface DataFacts {
  operations: number;
  /** Workload operations op-0000000 … op-(n-1): the random ids of the per-operation reads. */
  workloadOperations: number;
  maxPosition: number;
  /** first_position of the operation 90 % down the newest-first list: a deep keyset page. */
  deepListPosition: number;
  /** A 10-second range of updated_at in the middle of the data (about 5,000 operations at every size). */
  middleUpdatedRange: { after: string; before: string };
  /** Two minutes before the newest update: "what changed lately". */
  recentUpdatedAfter: string;
}

interface ListFilter {
  status?: string;
  stage?: string;
  stageStatus?: string;
  source?: string;
  updatedAfter?: string;
  updatedBefore?: string;
  deep?: boolean;
}

export const STAGE_WINDOWS = ['15m', '1h', '24h'] as const;

export function operatorReads(facts: DataFacts, random: () => number): OperatorRead[] {
  const someOperation = () =>
    `/v1/operations/op-${Math.floor(random() * facts.workloadOperations)
      .toString()
      .padStart(7, '0')}`;
  const list = (name: string, filter: ListFilter): OperatorRead => {
    const query = new URLSearchParams();
    for (const key of ['status', 'stage', 'stageStatus', 'source', 'updatedAfter', 'updatedBefore'] as const) {
      const value = filter[key];
      if (value !== undefined) query.set(key, value);
    }
    query.set('limit', '50');
    if (filter.deep) query.set('cursor', encodeListCursor(facts.deepListPosition));
    const path = `/v1/operations?${query.toString()}`;
    return { name, group: 'list', path: () => path, matching: matchingSql(filter, facts) };
  };
  const { after, before } = facts.middleUpdatedRange;
  return [
    { name: 'control: GET /health/live', group: 'control', path: () => '/health/live' },
    { name: 'stats', group: 'stats', path: () => '/v1/stats' },
    ...STAGE_WINDOWS.map((window): OperatorRead => ({
      name: `stats/stages ${window}`,
      group: 'stats',
      path: () => `/v1/stats/stages?window=${window}`,
    })),
    { name: 'stats/ingest', group: 'stats', path: () => '/v1/stats/ingest' },
    list('list', {}),
    list('list, deep page', { deep: true }),
    list('status=succeeded (70 %)', { status: 'succeeded' }),
    list('status=failed (15 %)', { status: 'failed' }),
    list('status=pending (rare)', { status: 'pending' }),
    list('status=pending,running', { status: 'pending,running' }),
    list('stage=enrich-geo (85 %)', { stage: 'enrich-geo' }),
    list(`stage=${RARE_STAGE} (rare)`, { stage: RARE_STAGE }),
    list('stage=enrich-geo&stageStatus=failed (15 %)', { stage: 'enrich-geo', stageStatus: 'failed' }),
    list('stage=ocr&stageStatus=failed (rare)', { stage: 'ocr', stageStatus: 'failed' }),
    list('stage=ocr&stageStatus=running (rare)', { stage: 'ocr', stageStatus: 'running' }),
    list('source=crm/sync (15 %)', { source: 'crm/sync' }),
    list(`source=${RARE_SOURCE} (rare)`, { source: RARE_SOURCE }),
    list('updatedAfter (last 2 min)', { updatedAfter: facts.recentUpdatedAfter }),
    list('updatedAfter+updatedBefore (10 s, middle)', { updatedAfter: after, updatedBefore: before }),
    list('status+stage+stageStatus (failed, enrich-geo, failed)', {
      status: 'failed',
      stage: 'enrich-geo',
      stageStatus: 'failed',
    }),
    list('status+stage+stageStatus (running, ocr, failed: rare)', {
      status: 'running',
      stage: 'ocr',
      stageStatus: 'failed',
    }),
    list('status=succeeded, deep page', { status: 'succeeded', deep: true }),
    list('stage=enrich-geo&stageStatus=failed, deep page', { stage: 'enrich-geo', stageStatus: 'failed', deep: true }),
    list('source=crm/sync, deep page', { source: 'crm/sync', deep: true }),
    list('stage=ocr&stageStatus=failed, deep page (rare)', { stage: 'ocr', stageStatus: 'failed', deep: true }),
    { name: 'get by id', group: 'operation', path: someOperation },
    { name: 'timeline', group: 'operation', path: () => `${someOperation()}/timeline` },
    { name: 'history (first page)', group: 'operation', path: () => `${someOperation()}/events` },
    { name: 'time travel (atVersion=5)', group: 'operation', path: () => `${someOperation()}?atVersion=5` },
    { name: 'feed, first page', group: 'feed', path: () => '/v1/events?after=0&limit=100' },
    {
      name: 'feed, deep cursor (middle)',
      group: 'feed',
      path: () => `/v1/events?after=${Math.floor(facts.maxPosition / 2)}&limit=100`,
    },
    { name: 'feed, tail', group: 'feed', path: () => `/v1/events?after=${facts.maxPosition - 100}&limit=100` },
  ];
}

/** The same filters as the list endpoint's documented semantics (docs/api.md), as a count over the projection. */
function matchingSql(filter: ListFilter, facts: DataFacts): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['o.version > 0'];
  if (filter.status) where.push(`o.status = ANY(${param(filter.status.split(','))}::text[])`);
  if (filter.stage && filter.stageStatus) {
    where.push(`o.state -> 'stages' -> ${param(filter.stage)}::text ->> 'status' = ${param(filter.stageStatus)}`);
  } else if (filter.stage) {
    where.push(`o.state -> 'stages' ? ${param(filter.stage)}`);
  }
  if (filter.source) {
    // From the log itself (not from any index the service keeps for this filter).
    where.push(`o.id IN (SELECT e.operation_id FROM operation_events e WHERE e.source = ${param(filter.source)})`);
  }
  if (filter.updatedAfter) where.push(`o.updated_at > ${param(filter.updatedAfter)}::timestamptz`);
  if (filter.updatedBefore) where.push(`o.updated_at < ${param(filter.updatedBefore)}::timestamptz`);
  if (filter.deep) where.push(`o.first_position < ${param(facts.deepListPosition)}`);
  return { sql: `SELECT count(*)::bigint AS n FROM operations o WHERE ${where.join(' AND ')}`, params };
}
