import type { OperationState, StageStatus } from '../projection/operation-fold';

// GET /v1/operations/{id}/timeline as the API answers it and the SDK types it.

/**
 * How an attempt ended: the stage outcome its terminal event reported, `running` while it runs,
 * or `superseded` when the stage was started again before this attempt reported an outcome.
 */
export type AttemptOutcome = StageStatus | 'superseded';

export interface AttemptSpan {
  /** 1 for the first start, 2 for the second…; 0 for an outcome reported without any start (a skip). */
  attempt: number;
  startedAt: string | null;
  /** The outcome's time; the next start for a superseded attempt; null while running. */
  endedAt: string | null;
  outcome: AttemptOutcome;
  /** The source of the event that ended the attempt (or started it, while it runs). */
  source: string;
  /** `data.error` of a failed attempt. */
  error: unknown;
}

export interface StageTimeline {
  stage: string;
  status: StageStatus;
  attempts: number;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  finishedAt: string | null;
  /** From the first start to the finish; to `now` while running; null when it never started. */
  durationMs: number | null;
  running: boolean;
  /** Every attempt on its own, in time order (see stageAttempts): the bars of a Gantt chart. */
  attemptSpans: AttemptSpan[];
}

export interface OperationTimeline {
  id: string;
  status: OperationState['status'];
  createdAt: string;
  updatedAt: string;
  /** From the first event to the last one for a finished operation, to `now` otherwise. */
  elapsedMs: number;
  stages: StageTimeline[];
  runningStages: string[];
}
