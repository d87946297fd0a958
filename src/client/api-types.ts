/**
 * The JSON the REST API answers (docs/api.md). State and timeline are the
 * service's own types, so they cannot drift from what it sends.
 */
export type { OperationState, OperationStatus, StageState, StageStatus } from '../projection/operation-fold';
export type { OperationTimeline, StageTimeline } from '../contract/timeline';
export type { StageStats, StageStatsReport, StageStatsWindow } from '../contract/stage-stats';
import type { OperationState, OperationStatus, StageStatus } from '../projection/operation-fold';

/** An event as the history, the feed and the watch streams show it. */
export interface ApiEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data: Record<string, unknown> | null;
  version: number;
  position: number;
  recordedAt: string;
}

export interface EventsPage {
  operationId: string;
  events: ApiEvent[];
  nextFromVersion: number | null;
}

export interface FeedPage {
  events: ApiEvent[];
  /** The cursor to pass as `after` next (opaque). */
  nextAfter: string;
}

export interface OperationList {
  items: OperationState[];
  nextCursor: string | null;
}

export interface OperationListFilters {
  status?: OperationStatus[];
  stage?: string;
  stageStatus?: StageStatus;
  source?: string;
  updatedAfter?: string;
  updatedBefore?: string;
  limit?: number;
  cursor?: string;
}

export interface OperationStats {
  total: number;
  byStatus: Record<OperationStatus, number>;
  inProgress: number;
  runningByStage: Record<string, number>;
}

/** The service's own view type: client and server cannot drift apart. */
export type { DeadLetterView as DeadLetter } from '../contract/dead-letter-view';
import type { DeadLetterView } from '../contract/dead-letter-view';

export interface RepublishResult {
  republished: number[];
  notFound: number[];
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  nextCursor: string | null;
}

export interface AppendResult {
  operationId: string;
  version: number;
  events: { id: string; status: 'appended' | 'duplicate'; version: number; position: number }[];
}
