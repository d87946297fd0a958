import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { failpoints } from '../common/failpoints';
import { MetricsService } from '../metrics/metrics.service';
import { PROJECTION_DEFINITION_VERSION } from '../projection/operation-fold';
import { catchUp } from './catch-up';
import { afterOperation, readEventsByOperation, readHeadPosition } from './event-log-reader';
import { foldOperations } from './operation-folder';
import { diffProjections } from './projection-diff';
import { ProjectionDefinitions } from './projection-definitions';
import { ProjectionLayout, ProjectionRow, readProjectionLayout, upsertProjectionRows } from './projection-row';
import {
  RebuildInProgressError,
  ReplayCancelledError,
  ReplayJobNotFoundError,
  ReplayJobNotResumableError,
} from './replay-errors';
import { ReplayJob, ReplayJobKind, shadowTableOf, VerifyReport } from './replay-job';
import { REBUILD_SLOT, ReplayJobLease } from './replay-job-lease';
import { ReplayJobStore } from './replay-job-store';
import {
  analyzeShadowTable,
  completeShadowIndexes,
  createShadowTable,
  dropShadowTable,
  LIVE_TABLE,
  replaceLiveTable,
  shadowTableExists,
} from './shadow-table';
import { isLockTimeout, selectRows, toCount } from './sql';
import {
  addLogActivity,
  buildShadowRowModels,
  createShadowRollups,
  dropShadowReadModels,
  LogActivity,
  replaceLiveReadModels,
  shadowRowModelsExist,
} from './read-model-tables';
import { verifyReadModels } from './read-model-verify';
import { APPEND_ORDER_LOCK_KEY } from '../event-store/event-store.service';

export const DEFAULT_PAGE_SIZE = 1000;
/** Online catch-up rounds before the swap; each one shortens the work done under the lock. */
const MAX_ONLINE_CATCH_UP_ROUNDS = 5;
/** How long the swap waits for in-flight appends (and queues new ones) before it backs off. */
const SWAP_LOCK_TIMEOUT_MS = 5000;
const SWAP_ATTEMPTS = 5;
const VERIFY_EXAMPLES = 5;
const VERIFY_RECHECK_ROUNDS = 3;

export interface ReplayRunOptions {
  /** Events per read and rows per write: memory stays bounded by this, whatever the log's size. */
  pageSize?: number;
  /** Called after each checkpoint and phase change. */
  onProgress?: (job: ReplayJob) => void;
  /** Stops the job at its next checkpoint (Ctrl-C in the CLI, shutdown of the service). */
  signal?: AbortSignal;
  /** Start only if the stored projection was built by another fold definition (rebuild-on-start). */
  onlyIfOutdated?: boolean;
}

export interface ReplayJobHandle {
  job: ReplayJob;
  /** Settles when the job ends, with its final state (succeeded, failed or cancelled); never rejects. */
  done: Promise<ReplayJob>;
}

interface RunContext {
  table: string;
  layout: ProjectionLayout;
  pageSize: number;
  options: ReplayRunOptions;
}

/**
 * Rebuilds the operations projection from the log into a shadow table while
 * ingest goes on, then swaps it in atomically; or (verify) builds the shadow
 * and diffs it against the live projection. docs/operations.md explains the
 * phases and why the swap cannot miss an event.
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger('Replay');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: ReplayJobStore,
    private readonly definitions: ProjectionDefinitions,
    private readonly metrics: MetricsService,
  ) {}

  /** Starts a rebuild; null only with onlyIfOutdated when the projection is current. */
  async startRebuild(options: ReplayRunOptions = {}): Promise<ReplayJobHandle | null> {
    return this.start('rebuild', options);
  }

  async startVerify(options: ReplayRunOptions = {}): Promise<ReplayJobHandle> {
    return (await this.start('verify', options))!;
  }

  /** Continues a cancelled, failed or interrupted job from its checkpoint. */
  async resume(jobId: number, options: ReplayRunOptions = {}): Promise<ReplayJobHandle> {
    const lease = await ReplayJobLease.open(this.dataSource);
    try {
      const found = await this.jobs.find(jobId);
      if (!found) throw new ReplayJobNotFoundError(jobId);
      if (found.kind === 'rebuild' && !(await lease.tryLock(REBUILD_SLOT))) {
        throw new RebuildInProgressError((await this.jobs.findRunningRebuild())?.id ?? null);
      }
      if (!(await lease.tryLock(jobId))) throw new ReplayJobNotResumableError(jobId, 'it is running');
      const job = await this.jobs.find(jobId);
      if (!job || job.status === 'succeeded') throw new ReplayJobNotResumableError(jobId, 'it has succeeded');
      if (job.kind === 'verify') throw new ReplayJobNotResumableError(jobId, 'verify jobs start over');
      if (job.definitionVersion !== PROJECTION_DEFINITION_VERSION) {
        throw new ReplayJobNotResumableError(
          jobId,
          `it was folding with definition ${job.definitionVersion}, the code has ${PROJECTION_DEFINITION_VERSION}`,
        );
      }
      const reopened = await this.jobs.reopen(lease.runner, jobId);
      return { job: reopened, done: this.run(reopened, lease, options) };
    } catch (error) {
      await lease.release();
      throw error;
    }
  }

  /** Asks a running job (in this process or any other) to stop at its next checkpoint. */
  async cancel(jobId: number): Promise<ReplayJob> {
    const job = await this.jobs.requestCancel(jobId);
    if (job) return job;
    const found = await this.jobs.find(jobId);
    if (!found) throw new ReplayJobNotFoundError(jobId);
    return found;
  }

  private async start(kind: ReplayJobKind, options: ReplayRunOptions): Promise<ReplayJobHandle | null> {
    const lease = await ReplayJobLease.open(this.dataSource);
    try {
      if (kind === 'rebuild' && !(await lease.tryLock(REBUILD_SLOT))) {
        throw new RebuildInProgressError((await this.jobs.findRunningRebuild())?.id ?? null);
      }
      // Checked while holding the slot: another instance may have just rebuilt it.
      if (options.onlyIfOutdated && !(await this.definitions.status()).rebuildNeeded) {
        await lease.release();
        return null;
      }
      // The job row becomes visible with its lock already held: never seen as interrupted.
      await lease.runner.startTransaction();
      const job = await this.jobs.create(lease.runner, kind, PROJECTION_DEFINITION_VERSION);
      await lease.tryLock(job.id);
      await lease.runner.commitTransaction();
      this.logger.log(`${kind} job ${job.id} started`);
      return { job, done: this.run(job, lease, options) };
    } catch (error) {
      await lease.release();
      throw error;
    }
  }

  private async run(initial: ReplayJob, lease: ReplayJobLease, options: ReplayRunOptions): Promise<ReplayJob> {
    let job = initial;
    const table = shadowTableOf(job);
    try {
      const context: RunContext = {
        table,
        layout: await readProjectionLayout(this.dataSource),
        pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
        options,
      };
      if (job.horizonPosition === null) {
        const horizon = await readHeadPosition(this.dataSource);
        const [count] = await selectRows<{ total: string }>(
          this.dataSource,
          'SELECT count(*) AS total FROM operation_events WHERE position <= $1',
          [horizon],
        );
        job = await this.jobs.begin(job.id, horizon, toCount(count.total));
      }
      if (!(await shadowTableExists(this.dataSource, table)) && (job.eventsDone > 0 || job.phase !== 'bulk')) {
        this.logger.warn(`${table} is gone: job ${job.id} starts its bulk pass over`);
        await dropShadowReadModels(this.dataSource, table);
        job = await this.jobs.restartBulk(job.id);
      }
      await createShadowTable(this.dataSource, table);
      await createShadowRollups(this.dataSource, table);
      this.report(job, context.options);

      if (job.phase === 'bulk') job = await this.bulkPass(job, context);
      if (!(await shadowRowModelsExist(this.dataSource, table))) {
        await this.dataSource.transaction((manager) => buildShadowRowModels(manager, table));
      }
      job = await this.catchUpOnline(job, context);
      // Normally a no-op (the bulk pass built them); never left to the swap, which holds the live table locked.
      if (job.kind === 'rebuild') await completeShadowIndexes(this.dataSource, table);
      job = job.kind === 'rebuild' ? await this.swap(job, context) : await this.verify(job, context);
      this.logger.log(`${job.kind} job ${job.id} succeeded`);
      this.report(job, context.options);
      return job;
    } catch (error) {
      const cancelled = error instanceof ReplayCancelledError;
      if (!cancelled) this.logger.error(`${job.kind} job ${job.id} failed: ${String(error)}`);
      // A rebuild keeps its shadow table to resume from; a verify has nothing worth keeping.
      if (job.kind === 'verify') {
        await dropShadowTable(this.dataSource, table).catch(() => undefined);
        await dropShadowReadModels(this.dataSource, table).catch(() => undefined);
      }
      const details = cancelled ? {} : { error: error instanceof Error ? error.message : String(error) };
      const finished = await this.jobs
        .finish(this.dataSource, job.id, cancelled ? 'cancelled' : 'failed', details)
        .catch(() => ({ ...job, status: cancelled ? ('cancelled' as const) : ('failed' as const), ...details }));
      this.report(finished, options);
      return finished;
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  /**
   * Folds the log up to the job's horizon, ordered by (operation_id, version),
   * writing the shadow rows and the checkpoint in one transaction per batch:
   * a resumed job continues after the last operation written, never twice.
   */
  private async bulkPass(initial: ReplayJob, context: RunContext): Promise<ReplayJob> {
    let job = initial;
    const pages = readEventsByOperation(this.dataSource, {
      after: afterOperation(job.checkpointOperationId),
      upTo: job.horizonPosition!,
      pageSize: context.pageSize,
    });
    let batch: ProjectionRow[] = [];
    let batchEvents = 0;
    // What the batch's events add to the rollups: written with its rows, so a resumed job never adds twice.
    const activity = { log: new LogActivity(), after: 0 };
    // One write in flight while the next batch is folded; writes (and so checkpoints) stay in order.
    let writing: Promise<void> = Promise.resolve();
    const write = async (rows: ProjectionRow[], events: number, log: LogActivity) => {
      job = await this.dataSource.transaction(async (manager) => {
        await upsertProjectionRows(manager, context.table, context.layout, rows);
        await addLogActivity(manager, context.table, log);
        if (failpoints.on) await failpoints.reach('rebuild.bulk.before-commit', () => ({ job: job.id }));
        return this.jobs.recordBulkProgress(manager, job.id, {
          checkpointOperationId: rows[rows.length - 1].id,
          events,
          operations: rows.length,
        });
      });
      if (job.kind === 'rebuild') this.metrics.rebuildEvents.inc(events);
      this.report(job, context.options);
    };
    const flush = async () => {
      await writing;
      this.stopIfCancelled(job, context);
      if (batch.length === 0) return;
      writing = write(batch, batchEvents, activity.log);
      activity.log = new LogActivity();
      // Marked as handled now; the next flush awaits it and rethrows its failure.
      writing.catch(() => undefined);
      batch = [];
      batchEvents = 0;
    };
    this.stopIfCancelled(job, context);
    try {
      for await (const folded of foldOperations(pages, activity)) {
        batch.push(folded.row);
        batchEvents += folded.events;
        if (batch.length >= context.pageSize || batchEvents >= context.pageSize * 10) await flush();
      }
      await flush();
    } finally {
      // Never leave a write running behind a failure or a cancel.
      await writing.catch(() => undefined);
    }
    await writing;
    this.stopIfCancelled(job, context);
    if (job.kind === 'rebuild') await completeShadowIndexes(this.dataSource, context.table);
    await analyzeShadowTable(this.dataSource, context.table);
    job = await this.jobs.recordPhase(job.id, 'catch-up', job.horizonPosition!);
    this.report(job, context.options);
    return job;
  }

  /**
   * Refolds the operations that received events since the shadow was last
   * brought up to date, without blocking anyone, until the tail left for the
   * swap (done under a lock) is short.
   */
  private async catchUpOnline(initial: ReplayJob, context: RunContext): Promise<ReplayJob> {
    let job = initial;
    for (let round = 0; round < MAX_ONLINE_CATCH_UP_ROUNDS; round += 1) {
      const from = job.caughtUpPosition ?? job.horizonPosition!;
      const head = await readHeadPosition(this.dataSource);
      if (head <= from) break;
      // One transaction with its checkpoint: the rollups it adds to are not idempotent.
      job = await this.dataSource.transaction(async (manager) => {
        await catchUp(manager, context.table, context.layout, from, head, context.pageSize);
        if (failpoints.on) await failpoints.reach('rebuild.catch-up.before-commit', () => ({ job: job.id }));
        return this.jobs.recordPhase(job.id, 'catch-up', head, manager);
      });
      this.report(job, context.options);
      this.stopIfCancelled(job, context);
      if (head - from < context.pageSize) break;
    }
    return job;
  }

  /**
   * The one moment that blocks: with the live table locked ACCESS EXCLUSIVE,
   * no append is in flight or can start (each takes a row lock on operations
   * in its first statement, and that conflicts with this lock). The head of
   * the log read now is therefore final until commit; the last events are
   * folded in, the shadow replaces the live table, and all of it commits at
   * once. Readers wait for the commit and then read the new table.
   */
  private async swap(initial: ReplayJob, context: RunContext): Promise<ReplayJob> {
    let job = await this.jobs.recordPhase(initial.id, 'swap');
    this.report(job, context.options);
    for (let attempt = 1; ; attempt += 1) {
      this.stopIfCancelled(job, context);
      const from = job.caughtUpPosition ?? job.horizonPosition!;
      try {
        return await this.dataSource.transaction('READ COMMITTED', async (manager) => {
          await manager.query(`SET LOCAL lock_timeout = ${SWAP_LOCK_TIMEOUT_MS}`);
          await manager.query(`LOCK TABLE ${LIVE_TABLE} IN ACCESS EXCLUSIVE MODE`);
          // Also waits for any writer that inserts events before touching operations.
          await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_ORDER_LOCK_KEY]);
          const head = await readHeadPosition(manager);
          await catchUp(manager, context.table, context.layout, from, head, context.pageSize);
          await replaceLiveTable(manager, context.table);
          await replaceLiveReadModels(manager, context.table);
          await this.definitions.recordBuilt(manager, job.definitionVersion);
          if (failpoints.on) await failpoints.reach('rebuild.swap.before-commit', () => ({ job: job.id }));
          return this.jobs.finish(manager, job.id, 'succeeded', { caughtUpPosition: head });
        });
      } catch (error) {
        if (!isLockTimeout(error) || attempt >= SWAP_ATTEMPTS) throw error;
        this.logger.warn(`rebuild job ${job.id}: the live table stayed busy for ${SWAP_LOCK_TIMEOUT_MS} ms; retrying`);
        job = await this.catchUpOnline(job, context);
      }
    }
  }

  /** Diffs the shadow with the live table; operations that keep changing are compared again after a catch-up. */
  private async verify(initial: ReplayJob, context: RunContext): Promise<ReplayJob> {
    const job = await this.jobs.recordPhase(initial.id, 'diff');
    this.report(job, context.options);
    let horizon = job.caughtUpPosition ?? job.horizonPosition!;
    const report: VerifyReport = { differences: 0, examples: [], unsettled: [] };
    let diff = await diffProjections(this.dataSource, context.table, context.layout, horizon, {
      exampleLimit: VERIFY_EXAMPLES,
    });
    for (let round = 0; ; round += 1) {
      report.differences += diff.differences;
      report.examples.push(...diff.examples.slice(0, VERIFY_EXAMPLES - report.examples.length));
      if (diff.moving.length === 0 || round >= VERIFY_RECHECK_ROUNDS) break;
      const head = await readHeadPosition(this.dataSource);
      await catchUp(this.dataSource, context.table, context.layout, horizon, head, context.pageSize);
      horizon = head;
      diff = await diffProjections(this.dataSource, context.table, context.layout, horizon, {
        onlyOperationIds: diff.moving,
        exampleLimit: VERIFY_EXAMPLES,
      });
    }
    report.unsettled = diff.moving;
    report.readModels = await verifyReadModels(this.dataSource, context.table, horizon, async (from, to) => {
      await catchUp(this.dataSource, context.table, context.layout, from, to, context.pageSize);
      horizon = to;
    });
    await dropShadowTable(this.dataSource, context.table);
    await dropShadowReadModels(this.dataSource, context.table);
    return this.jobs.finish(this.dataSource, job.id, 'succeeded', { report, caughtUpPosition: horizon });
  }

  private report(job: ReplayJob, options: ReplayRunOptions): void {
    if (job.kind === 'rebuild') {
      const running = job.status === 'running' && job.eventsTotal !== null && job.eventsTotal > 0;
      this.metrics.rebuildProgress.set(running ? Math.min(job.eventsDone / job.eventsTotal!, 1) : 1);
    }
    options.onProgress?.(job);
  }

  private stopIfCancelled(job: ReplayJob, context: RunContext): void {
    if (job.cancelRequested || context.options.signal?.aborted) throw new ReplayCancelledError(job.id);
  }
}
