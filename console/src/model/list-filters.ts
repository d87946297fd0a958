import type { OperationStatus, StageStatus } from '../api/types';

export const OPERATION_STATUSES: OperationStatus[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
export const STAGE_STATUSES: StageStatus[] = ['running', 'succeeded', 'failed', 'skipped'];

/** The list page's filters: the API's own parameter names, so the page URL and the API call match. */
export interface ListFilters {
  status: OperationStatus[];
  stage: string;
  stageStatus: StageStatus | '';
  source: string;
  updatedAfter: string;
  updatedBefore: string;
  idPrefix: string;
  cursor: string;
}

export function filtersOf(query: URLSearchParams): ListFilters {
  const status = (query.get('status') ?? '')
    .split(',')
    .filter((s): s is OperationStatus => (OPERATION_STATUSES as string[]).includes(s));
  const stageStatus = query.get('stageStatus') ?? '';
  return {
    status,
    stage: query.get('stage') ?? '',
    stageStatus: (STAGE_STATUSES as string[]).includes(stageStatus) ? (stageStatus as StageStatus) : '',
    source: query.get('source') ?? '',
    updatedAfter: query.get('updatedAfter') ?? '',
    updatedBefore: query.get('updatedBefore') ?? '',
    idPrefix: query.get('idPrefix') ?? '',
    cursor: query.get('cursor') ?? '',
  };
}

/** As query parameters (for the page URL and for GET /v1/operations); empty ones left out. */
export function queryOf(filters: ListFilters): Record<string, string | undefined> {
  return {
    status: filters.status.join(',') || undefined,
    stage: filters.stage.trim() || undefined,
    stageStatus: filters.stage.trim() && filters.stageStatus ? filters.stageStatus : undefined,
    source: filters.source.trim() || undefined,
    updatedAfter: filters.updatedAfter || undefined,
    updatedBefore: filters.updatedBefore || undefined,
    idPrefix: filters.idPrefix.trim() || undefined,
    cursor: filters.cursor || undefined,
  };
}
