// The API's own types (shared with the SDK and the service), so the console cannot drift from them.
export type {
  ApiEvent,
  DeadLetter,
  DeadLetterPage,
  EventsPage,
  OperationList,
  OperationStats,
  OperationTimeline,
  RepublishResult,
  StageTimeline,
} from '../../../src/client/api-types';
export type { OperationState, OperationStatus, StageState, StageStatus } from '../../../src/projection/operation-fold';
export type { AttemptSpan, AttemptOutcome } from '../../../src/operations/stage-attempts';
export type { IngestStatusView as IngestStatus } from '../../../src/console/ingest-status';

export interface WhoAmI {
  role: 'reader' | 'writer' | 'admin';
  authentication: boolean;
}

/** GET /v1/stats/stages (stage analytics over a window, with per-minute series of the last hour). */
export interface StageAnalytics {
  window: string;
  from: string;
  to: string;
  stages: {
    stage: string;
    started: number;
    succeeded: number;
    failed: number;
    skipped: number;
    running: number;
    failureRate: number | null;
    durationMs: { count: number; p50: number | null; p95: number | null; p99: number | null };
  }[];
  series: {
    minutes: string[];
    events: number[];
    stages: Record<string, { started: number[]; succeeded: number[]; failed: number[]; skipped: number[] }>;
  };
}
