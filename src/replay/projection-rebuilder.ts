import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { EventLogReader } from '../event-store/log/event-log-reader';
import { ProjectionDefinitions } from '../event-store/projection/projection-definitions';
import { ProjectionStore } from '../event-store/projection/projection-store';
import type { ShadowProjection } from '../event-store/projection/shadow-projection';
import { MetricsService } from '../metrics/metrics.service';
import { PROJECTION_DEFINITION_VERSION } from '../projection/operation-fold';
import {
  RebuildInProgressError,
  ReplayCancelledError,
  ReplayJobNotFoundError,
  ReplayJobNotResumableError,
} from './replay-errors';
import { ReplayJob, ReplayJobKind, shadowTableOf } from './jobs/replay-job';
import { BulkRangeStore } from './jobs/bulk-range-store';
import { REBUILD_SLOT, ReplayJobLease } from './jobs/replay-job-lease';
import { ReplayJobStore } from './jobs/replay-job-store';
import { ReplayRun } from './replay-run';

export const DEFAULT_PAGE_SIZE = 1000;
/** How long a new rebuild waits for the slot of one that has just ended (its lease closing). */
const REBUILD_SLOT_HANDOVER_MS = 2000;

export interface ReplayRunOptions {
  /** Events per read and rows per write: memory stays bounded by this, whatever the log's size. */
  pageSize?: number;
  /** Concurrent pipelines of the bulk pass (default: REBUILD_WORKERS); a resumed pass keeps its ranges. */
  workers?: number;
  /** Split the bulk pass's id space at these ids (increasing) instead of sampled ones: for tests. */
  splitAt?: readonly string[];
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

/**
 * Rebuilds the operations projection from the log into a shadow while ingest
 * goes on, then swaps it in atomically; or (verify) builds the shadow and
 * diffs it against the live projection. This class starts, resumes and
 * cancels jobs (one rebuild at a time, each job held by a lease); the phases
 * of a run are ReplayRun's.
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger('Replay');

  constructor(
    private readonly log: EventLogReader,
    private readonly projections: ProjectionStore,
    private readonly jobs: ReplayJobStore,
    private readonly definitions: ProjectionDefinitions,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
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
    const lease = await this.jobs.openLease();
    try {
      const found = await this.jobs.find(jobId);
      if (!found) throw new ReplayJobNotFoundError(jobId);
      if (found.kind === 'rebuild') await this.takeRebuildSlot(lease);
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

  /**
   * The one rebuild slot, or RebuildInProgressError naming the running rebuild. A job records that it
   * ended before its lease lets the slot go (the swap commits the job's end with the new projection),
   * so a slot held while no rebuild is recorded as running is being handed back: waiting a moment for
   * it keeps "succeeded, then start another" from being refused as "already running".
   */
  private async takeRebuildSlot(lease: ReplayJobLease): Promise<void> {
    if (await lease.tryLock(REBUILD_SLOT)) return;
    const running = await this.jobs.findRunningRebuild();
    if (running === null && (await lease.lockWithin(REBUILD_SLOT, REBUILD_SLOT_HANDOVER_MS))) return;
    throw new RebuildInProgressError(running?.id ?? (await this.jobs.findRunningRebuild())?.id ?? null);
  }

  private async start(kind: ReplayJobKind, options: ReplayRunOptions): Promise<ReplayJobHandle | null> {
    const lease = await this.jobs.openLease();
    try {
      if (kind === 'rebuild') await this.takeRebuildSlot(lease);
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
    const report = (current: ReplayJob) => this.report(current, options);
    let shadow: ShadowProjection | null = null;
    try {
      shadow = this.projections.shadow(table, await this.projections.layout());
      const run = new ReplayRun(
        {
          log: this.log,
          projections: this.projections,
          definitions: this.definitions,
          jobs: this.jobs,
          metrics: this.metrics,
        },
        {
          shadow,
          pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
          workers: options.workers ?? this.config.rebuildWorkers,
          splitAt: options.splitAt,
          report,
          signal: options.signal,
        },
      );
      if (job.horizonPosition === null) {
        const horizon = await this.log.headPosition();
        job = await this.jobs.begin(job.id, horizon, await this.log.countEvents(0, horizon));
      }
      if (!(await shadow.exists()) && (job.eventsDone > 0 || job.phase !== 'bulk')) {
        this.logger.warn(`${table} is gone: job ${job.id} starts its bulk pass over`);
        await shadow.dropReadModels();
        await this.projections.transaction((db) => new BulkRangeStore(table).drop(db));
        job = await this.jobs.restartBulk(job.id);
      }
      await shadow.create();
      report(job);

      if (job.phase === 'bulk') job = await run.bulkPass(job);
      if (!(await shadow.rowModelsExist())) {
        const building = shadow;
        await this.projections.transaction((db) => building.buildRowModels(db));
      }
      job = await run.catchUpOnline(job);
      // Normally a no-op (the bulk pass built them); never left to the swap, which holds the live table locked.
      if (job.kind === 'rebuild') await shadow.completeIndexes();
      job = job.kind === 'rebuild' ? await run.swap(job) : await run.verify(job);
      this.logger.log(`${job.kind} job ${job.id} succeeded`);
      report(job);
      return job;
    } catch (error) {
      const cancelled = error instanceof ReplayCancelledError;
      if (!cancelled) this.logger.error(`${job.kind} job ${job.id} failed: ${String(error)}`);
      // A rebuild keeps its shadow table to resume from; a verify has nothing worth keeping.
      if (job.kind === 'verify' && shadow) {
        await shadow.dropTable().catch(() => undefined);
        await shadow.dropReadModels().catch(() => undefined);
        await this.projections.transaction((db) => new BulkRangeStore(table).drop(db)).catch(() => undefined);
      }
      const details = cancelled ? {} : { error: error instanceof Error ? error.message : String(error) };
      const finished = await this.jobs
        .finish(job.id, cancelled ? 'cancelled' : 'failed', details)
        .catch(() => ({ ...job, status: cancelled ? ('cancelled' as const) : ('failed' as const), ...details }));
      report(finished);
      return finished;
    } finally {
      await lease.release().catch(() => undefined);
    }
  }

  private report(job: ReplayJob, options: ReplayRunOptions): void {
    if (job.kind === 'rebuild') {
      const running = job.status === 'running' && job.eventsTotal !== null && job.eventsTotal > 0;
      this.metrics.rebuildProgress.set(running ? Math.min(job.eventsDone / job.eventsTotal!, 1) : 1);
    }
    options.onProgress?.(job);
  }
}
