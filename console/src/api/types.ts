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
  StageStatsReport as StageAnalytics,
  StageTimeline,
} from '../../../src/client/api-types';
export type { OperationState, OperationStatus, StageState, StageStatus } from '../../../src/projection/operation-fold';
export type { AttemptSpan, AttemptOutcome } from '../../../src/operations/stage-attempts';
export type { IngestStatusView as IngestStatus } from '../../../src/console/ingest-status';

export interface WhoAmI {
  role: 'reader' | 'writer' | 'admin';
  authentication: boolean;
}
