import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { GlobalPosition } from '../../event-store/global-position';
import { jobAliveSql, ReplayJobLease } from './replay-job-lease';
import { ReplayJob, ReplayJobKind, ReplayJobRow, ReplayPhase, toReplayJob, VerifyReport } from './replay-job';
import { selectRows, type SqlRunner } from '../../event-store/sql';

/** Progress written together with the shadow rows it describes (same transaction). */
export interface BulkProgress {
  checkpointOperationId: string;
  events: number;
  operations: number;
}

/** The replay_jobs table: what a job has done, where it resumes, and its cancel flag. */
@Injectable()
export class ReplayJobStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A dedicated connection for a job's advisory locks (held for as long as the job runs). */
  openLease(): Promise<ReplayJobLease> {
    return ReplayJobLease.open(this.dataSource);
  }

  async create(db: SqlRunner, kind: ReplayJobKind, definitionVersion: number): Promise<ReplayJob> {
    return this.one(
      db,
      `INSERT INTO replay_jobs (kind, status, phase, definition_version) VALUES ($1, 'running', 'bulk', $2) RETURNING *`,
      [kind, definitionVersion],
    );
  }

  async find(id: number): Promise<ReplayJob | null> {
    const rows = await selectRows<ReplayJobRow>(
      this.dataSource,
      `SELECT j.*, ${jobAliveSql('j')} AS alive FROM replay_jobs j WHERE j.id = $1`,
      [id],
    );
    return rows.length > 0 ? toReplayJob(rows[0]) : null;
  }

  /** The rebuild that holds the rebuild slot, if it is still alive. */
  async findRunningRebuild(): Promise<ReplayJob | null> {
    const rows = await selectRows<ReplayJobRow>(
      this.dataSource,
      `SELECT j.*, true AS alive FROM replay_jobs j
       WHERE j.kind = 'rebuild' AND j.status = 'running' AND ${jobAliveSql('j')} ORDER BY j.id DESC LIMIT 1`,
    );
    return rows.length > 0 ? toReplayJob(rows[0]) : null;
  }

  /** Fixes the cut of the log the bulk pass folds. */
  async begin(id: number, horizon: GlobalPosition, eventsTotal: number): Promise<ReplayJob> {
    return this.update(this.dataSource, id, 'horizon_position = $2, events_total = $3', [horizon, eventsTotal]);
  }

  /** Back to an empty shadow table (it was dropped while the job was stopped). */
  async restartBulk(id: number): Promise<ReplayJob> {
    return this.update(
      this.dataSource,
      id,
      `phase = 'bulk', checkpoint_operation_id = NULL, caught_up_position = NULL,
       events_done = 0, operations_done = 0, run_events_start = 0`,
    );
  }

  async recordBulkProgress(db: SqlRunner, id: number, progress: BulkProgress): Promise<ReplayJob> {
    return this.update(
      db,
      id,
      `checkpoint_operation_id = $2, events_done = events_done + $3, operations_done = operations_done + $4`,
      [progress.checkpointOperationId, progress.events, progress.operations],
    );
  }

  async recordPhase(
    id: number,
    phase: ReplayPhase,
    caughtUpPosition?: GlobalPosition,
    db: SqlRunner = this.dataSource,
  ): Promise<ReplayJob> {
    return caughtUpPosition === undefined
      ? this.update(db, id, 'phase = $2', [phase])
      : this.update(db, id, 'phase = $2, caught_up_position = $3', [phase, caughtUpPosition]);
  }

  async finish(
    id: number,
    status: 'succeeded' | 'failed' | 'cancelled',
    details: { error?: string; report?: VerifyReport; caughtUpPosition?: GlobalPosition } = {},
    db: SqlRunner = this.dataSource,
  ): Promise<ReplayJob> {
    return this.update(
      db,
      id,
      `status = $2, error = $3, report = $4::jsonb, differences = $5, finished_at = now(),
       phase = CASE WHEN $2 = 'succeeded' THEN 'done' ELSE phase END,
       caught_up_position = COALESCE($6, caught_up_position)`,
      [
        status,
        details.error ?? null,
        details.report ? JSON.stringify(details.report) : null,
        details.report?.differences ?? null,
        details.caughtUpPosition ?? null,
      ],
    );
  }

  /** Asks the process running the job to stop at its next checkpoint. Null: no such running job. */
  async requestCancel(id: number): Promise<ReplayJob | null> {
    const rows = await selectRows<ReplayJobRow>(
      this.dataSource,
      `UPDATE replay_jobs SET cancel_requested = true, updated_at = now()
       WHERE id = $1 AND status = 'running' RETURNING *`,
      [id],
    );
    return rows.length > 0 ? toReplayJob(rows[0]) : null;
  }

  /** A new run of a stopped job; the caller holds the job's lock. */
  async reopen(db: SqlRunner, id: number): Promise<ReplayJob> {
    return this.update(
      db,
      id,
      `status = 'running', cancel_requested = false, error = NULL, finished_at = NULL,
       run_started_at = now(), run_events_start = events_done`,
    );
  }

  private async update(db: SqlRunner, id: number, assignments: string, parameters: unknown[] = []): Promise<ReplayJob> {
    return this.one(db, `UPDATE replay_jobs SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING *`, [
      id,
      ...parameters,
    ]);
  }

  private async one(db: SqlRunner, sql: string, parameters: unknown[]): Promise<ReplayJob> {
    const [row] = await selectRows<ReplayJobRow>(db, sql, parameters);
    if (!row) throw new Error(`replay job ${String(parameters[0])} vanished from replay_jobs`);
    return toReplayJob(row);
  }
}
