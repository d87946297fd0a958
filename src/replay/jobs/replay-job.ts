import { toGlobalPosition, type GlobalPosition } from '../../event-store/global-position';
import type { DifferenceExample } from '../../event-store/projection/projection-diff';
import type { ReadModelReport } from '../../event-store/read-models/read-model-verify';
import { toCount } from '../../event-store/sql';

export type ReplayJobKind = 'rebuild' | 'verify';
/** `interrupted`: stored as running, but no process holds the job (it crashed or was killed). */
export type ReplayJobStatus = 'running' | 'cancelled' | 'failed' | 'succeeded' | 'interrupted';
export type ReplayPhase = 'bulk' | 'catch-up' | 'swap' | 'diff' | 'done';

export interface VerifyReport {
  differences: number;
  examples: DifferenceExample[];
  /** Operations that kept changing while they were compared; not counted as differences. */
  unsettled: string[];
  /** The counters, stage and source indexes and rollups beside the projection (absent in older reports). */
  readModels?: ReadModelReport;
}

export interface ReplayJob {
  id: number;
  kind: ReplayJobKind;
  status: ReplayJobStatus;
  phase: ReplayPhase;
  definitionVersion: number;
  /** The head of the log when the job started: the bulk pass folds up to here. */
  horizonPosition: GlobalPosition | null;
  /** The shadow table holds every event up to here. */
  caughtUpPosition: GlobalPosition | null;
  /** The operation the bulk pass wrote last (progress; each range resumes after its own checkpoint, BulkRangeStore). */
  checkpointOperationId: string | null;
  eventsTotal: number | null;
  eventsDone: number;
  operationsDone: number;
  /** eventsDone when the current run (start or resume) began, for the rate. */
  runEventsStart: number;
  cancelRequested: boolean;
  report: VerifyReport | null;
  error: string | null;
  createdAt: Date;
  runStartedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ReplayJobRow {
  id: number;
  kind: ReplayJobKind;
  status: Exclude<ReplayJobStatus, 'interrupted'>;
  phase: ReplayPhase;
  definition_version: number;
  horizon_position: string | null;
  caught_up_position: string | null;
  checkpoint_operation_id: string | null;
  events_total: string | null;
  events_done: string;
  operations_done: string;
  run_events_start: string;
  cancel_requested: boolean;
  report: VerifyReport | null;
  error: string | null;
  created_at: Date;
  run_started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  /** Whether a process holds the job's advisory lock (selected with the row). */
  alive?: boolean;
}

export function toReplayJob(row: ReplayJobRow): ReplayJob {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status === 'running' && row.alive === false ? 'interrupted' : row.status,
    phase: row.phase,
    definitionVersion: row.definition_version,
    horizonPosition: row.horizon_position === null ? null : toGlobalPosition(row.horizon_position),
    caughtUpPosition: row.caught_up_position === null ? null : toGlobalPosition(row.caught_up_position),
    checkpointOperationId: row.checkpoint_operation_id,
    eventsTotal: row.events_total === null ? null : toCount(row.events_total),
    eventsDone: toCount(row.events_done),
    operationsDone: toCount(row.operations_done),
    runEventsStart: toCount(row.run_events_start),
    cancelRequested: row.cancel_requested,
    report: row.report,
    error: row.error,
    createdAt: row.created_at,
    runStartedAt: row.run_started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** The table a job builds; derived, so that it cannot disagree with the job. */
export function shadowTableOf(job: Pick<ReplayJob, 'id' | 'kind'>): string {
  return `operations_${job.kind}_${job.id}`;
}

export function isFinished(job: ReplayJob): boolean {
  return job.status !== 'running';
}
