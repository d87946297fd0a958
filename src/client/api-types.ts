/**
 * The JSON the REST API answers (docs/api.md). State and timeline are the
 * service's own types, so they cannot drift from what it sends.
 */
export type { OperationState, OperationStatus, StageState, StageStatus } from '../projection/operation-fold';
export type { OperationTimeline, StageTimeline } from '../operations/timeline';
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
  nextAfter: number;
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

export interface DeadLetter {
  id: number;
  reason: string;
  detail: string;
  channel: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  key: string | null;
  headers: Record<string, string> | null;
  payload: string | null;
  payloadEncoding: 'utf8' | 'base64' | null;
  eventId: string | null;
  operationId: string | null;
  createdAt: string;
  republishedAt: string | null;
  republishCount: number;
}

export interface RepublishResult {
  republished: number[];
  notFound: number[];
}

export interface DeadLetterPage {
  items: DeadLetter[];
  nextCursor: string | null;
}

export interface AppendResult {
  operationId: string;
  version: number;
  events: { id: string; status: 'appended' | 'duplicate'; version: number; position: number }[];
}
