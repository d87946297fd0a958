import { Logger } from '@nestjs/common';
import { failpoints } from '../common/failpoints';
import type { EventLogReader } from '../event-store/log/event-log-reader';
import type { ProjectionDefinitions } from '../event-store/projection/projection-definitions';
import type { ProjectionStore } from '../event-store/projection/projection-store';
import type { ShadowProjection } from '../event-store/projection/shadow-projection';
import { isLockTimeout } from '../event-store/sql';
import { isDeadlock } from '../event-store/transient-errors';
import type { MetricsService } from '../metrics/metrics.service';
import { catchUp } from './catch-up';
import { BulkPass } from './bulk-pass';
import { ReplayCancelledError } from './replay-errors';
import type { ReplayJob, VerifyReport } from './jobs/replay-job';
import type { ReplayJobStore } from './jobs/replay-job-store';

/** Online catch-up rounds before the swap; each one shortens the work done under the lock. */
const MAX_ONLINE_CATCH_UP_ROUNDS = 5;
/** How long the swap waits for in-flight appends (and queues new ones) before it backs off. */
const SWAP_LOCK_TIMEOUT_MS = 5000;
const SWAP_ATTEMPTS = 5;
const VERIFY_EXAMPLES = 5;
const VERIFY_RECHECK_ROUNDS = 3;

/** What a phase needs besides the job: the stores it reads and writes. */
export interface ReplayRunDependencies {
  log: EventLogReader;
  projections: ProjectionStore;
  definitions: ProjectionDefinitions;
  jobs: ReplayJobStore;
  metrics: MetricsService;
}

export interface ReplayRunSettings {
  shadow: ShadowProjection;
  pageSize: number;
  /** The bulk pass's concurrent pipelines (BulkPass). */
  workers: number;
  /** Fixed split points for the bulk pass's ranges instead of sampled ones (tests). */
  splitAt?: readonly string[];
  /** Called with the job after each checkpoint and phase change. */
  report: (job: ReplayJob) => void;
  /** Stops the job at its next checkpoint (Ctrl-C in the CLI, shutdown of the service). */
  signal?: AbortSignal;
}

/**
 * The phases of one run of a replay job, each ending at a checkpoint a
 * resumed job continues from: the bulk pass folds the log up to the job's
 * horizon into the shadow (BulkPass, pipelines over ranges of operation ids); online catch-up rounds fold what arrived since;
 * then a rebuild swaps the shadow in with appends held, and a verify diffs it
 * with the live projection. docs/operations.md explains why the swap cannot
 * miss an event.
 */
export class ReplayRun {
  private readonly logger = new Logger('Replay');

  constructor(
    private readonly deps: ReplayRunDependencies,
    private readonly settings: ReplayRunSettings,
  ) {}

  private get shadow(): ShadowProjection {
    return this.settings.shadow;
  }

  /** The bulk pass (BulkPass): the log up to the job's horizon folded into the shadow by parallel pipelines. */
  bulkPass(job: ReplayJob): Promise<ReplayJob> {
    const { shadow, pageSize, workers, splitAt, report, signal } = this.settings;
    return new BulkPass(this.deps, { shadow, pageSize, workers, splitAt, report, signal }, job).run();
  }

  /**
   * Refolds the operations that received events since the shadow was last
   * brought up to date, without blocking anyone, until the tail left for the
   * swap (done under a lock) is short.
   */
  async catchUpOnline(initial: ReplayJob): Promise<ReplayJob> {
    const { log, projections, jobs } = this.deps;
    const { pageSize } = this.settings;
    let job = initial;
    for (let round = 0; round < MAX_ONLINE_CATCH_UP_ROUNDS; round += 1) {
      const from = job.caughtUpPosition ?? job.horizonPosition!;
      const head = await log.headPosition();
      if (head <= from) break;
      // One transaction with its checkpoint: the rollups it adds to are not idempotent.
      job = await projections.transaction(async (db) => {
        await catchUp(log, this.shadow, from, head, pageSize, db);
        if (failpoints.on) await failpoints.reach('rebuild.catch-up.before-commit', () => ({ job: job.id }));
        return jobs.recordPhase(job.id, 'catch-up', head, db);
      });
      this.settings.report(job);
      this.stopIfCancelled(job);
      if (head - from < pageSize) break;
    }
    return job;
  }

  /**
   * The one moment that blocks: with appends held (ProjectionStore.withAppendsHeld)
   * the head of the log read now is final until commit; the last events are
   * folded in, the shadow replaces the live projection, and all of it commits
   * at once. Readers wait for the commit and then read the new table.
   */
  async swap(initial: ReplayJob): Promise<ReplayJob> {
    const { log, projections, definitions, jobs } = this.deps;
    let job = await jobs.recordPhase(initial.id, 'swap');
    this.settings.report(job);
    for (let attempt = 1; ; attempt += 1) {
      this.stopIfCancelled(job);
      const from = job.caughtUpPosition ?? job.horizonPosition!;
      try {
        return await projections.withAppendsHeld(
          async (db) => {
            const head = await log.headPosition(db);
            await catchUp(log, this.shadow, from, head, this.settings.pageSize, db);
            await this.shadow.swapIn(db);
            await definitions.recordBuilt(db, job.definitionVersion);
            if (failpoints.on) await failpoints.reach('rebuild.swap.before-commit', () => ({ job: job.id }));
            return jobs.finish(job.id, 'succeeded', { caughtUpPosition: head }, db);
          },
          { lockTimeoutMs: SWAP_LOCK_TIMEOUT_MS },
        );
      } catch (error) {
        // A deadlock with a reader that held one of the swapped tables: Postgres rolled the swap back.
        const deadlock = isDeadlock(error);
        if (!(isLockTimeout(error) || deadlock) || attempt >= SWAP_ATTEMPTS) throw error;
        this.logger.warn(
          deadlock
            ? `rebuild job ${job.id}: the swap was a deadlock victim; retrying`
            : `rebuild job ${job.id}: the live table stayed busy for ${SWAP_LOCK_TIMEOUT_MS} ms; retrying`,
        );
        job = await this.catchUpOnline(job);
      }
    }
  }

  /** Diffs the shadow with the live table; operations that keep changing are compared again after a catch-up. */
  async verify(initial: ReplayJob): Promise<ReplayJob> {
    const { log, jobs } = this.deps;
    const { pageSize } = this.settings;
    const job = await jobs.recordPhase(initial.id, 'diff');
    this.settings.report(job);
    let horizon = job.caughtUpPosition ?? job.horizonPosition!;
    const report: VerifyReport = { differences: 0, examples: [], unsettled: [] };
    let diff = await this.shadow.diff(horizon, { exampleLimit: VERIFY_EXAMPLES });
    for (let round = 0; ; round += 1) {
      report.differences += diff.differences;
      report.examples.push(...diff.examples.slice(0, VERIFY_EXAMPLES - report.examples.length));
      if (diff.moving.length === 0 || round >= VERIFY_RECHECK_ROUNDS) break;
      const head = await log.headPosition();
      await catchUp(log, this.shadow, horizon, head, pageSize);
      horizon = head;
      diff = await this.shadow.diff(horizon, { onlyOperationIds: diff.moving, exampleLimit: VERIFY_EXAMPLES });
    }
    report.unsettled = diff.moving;
    report.readModels = await this.shadow.verifyReadModels(horizon, async (from, to) => {
      await catchUp(log, this.shadow, from, to, pageSize);
      horizon = to;
    });
    await this.shadow.dropTable();
    await this.shadow.dropReadModels();
    return jobs.finish(job.id, 'succeeded', { report, caughtUpPosition: horizon });
  }

  stopIfCancelled(job: ReplayJob): void {
    if (job.cancelRequested || this.settings.signal?.aborted) throw new ReplayCancelledError(job.id);
  }
}
