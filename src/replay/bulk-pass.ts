import { Logger } from '@nestjs/common';
import { failpoints } from '../common/failpoints';
import { afterOperation, type EventLogReader } from '../event-store/log/event-log-reader';
import type { ProjectionRow } from '../event-store/projection/projection-rows';
import type { ProjectionStore } from '../event-store/projection/projection-store';
import type { ShadowProjection } from '../event-store/projection/shadow-projection';
import { LogActivity } from '../event-store/read-models/read-model-tables';
import type { MetricsService } from '../metrics/metrics.service';
import { type BulkRange, BulkRangeStore } from './jobs/bulk-range-store';
import type { ReplayJobStore } from './jobs/replay-job-store';
import type { ReplayJob } from './jobs/replay-job';
import { rangesAt, splitPoints } from './operation-ranges';
import { foldOperations } from './projection-rows-from-log';
import { ReplayCancelledError } from './replay-errors';

/** Ranges per pipeline: a pipeline that finishes early takes another range, so one slow range delays little. */
const RANGES_PER_WORKER = 4;
/** Sampled events the split points are chosen from. */
const SAMPLE_TARGET = 5000;

/** The stores a bulk pass reads and writes. */
export interface BulkPassDependencies {
  log: EventLogReader;
  projections: ProjectionStore;
  jobs: ReplayJobStore;
  metrics: MetricsService;
}

export interface BulkPassSettings {
  shadow: ShadowProjection;
  pageSize: number;
  /** Concurrent read → fold → write pipelines, each over its own ranges of operation ids. */
  workers: number;
  /** Split the id space at these ids (increasing) instead of at sampled ones: tests choose their ranges. */
  splitAt?: readonly string[];
  report: (job: ReplayJob) => void;
  signal?: AbortSignal;
}

/** Turns taken one at a time, in the order asked (commits of the pipelines' batches). */
class Turns {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with the function that ends the turn once every earlier turn has ended. */
  take(): Promise<() => void> {
    let end!: () => void;
    const turn = new Promise<void>((resolve) => (end = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    return previous.then(() => end);
  }
}

/**
 * The bulk pass of a replay job: folds the log up to the job's horizon into
 * the shadow with `workers` pipelines, each reading a range of operation ids
 * in (operation_id, version) order, folding it with the shared fold and
 * writing rows, the rollups they add (in the pipeline's own stripe, so
 * pipelines never wait for each other's rollup rows) and the range's
 * checkpoint in one transaction per batch. The ranges are cut once, at ids
 * sampled from the log, and stored with their checkpoints (BulkRangeStore):
 * a resumed job continues each range after its last committed batch, so no
 * event is folded twice. Batches commit one at a time (they all update the
 * job row anyway), which also makes "the n-th batch commit" a well-defined
 * moment for the crash tests' failpoint.
 */
export class BulkPass {
  private readonly logger = new Logger('Replay');
  private readonly ranges: BulkRangeStore;
  private readonly commits = new Turns();
  private latest: ReplayJob;
  /** Set by the first pipeline that fails or is cancelled: the others stop at their next batch. */
  private stopping = false;

  constructor(
    private readonly deps: BulkPassDependencies,
    private readonly settings: BulkPassSettings,
    initial: ReplayJob,
  ) {
    this.ranges = new BulkRangeStore(settings.shadow.table);
    this.latest = initial;
  }

  async run(): Promise<ReplayJob> {
    const { projections, jobs } = this.deps;
    const { shadow } = this.settings;
    this.check();
    const started = Date.now();
    const queue = await this.plan();
    const ranges = queue.length;
    let failure: { error: unknown } | null = null;
    const pipeline = async (stripe: number) => {
      for (let range = queue.shift(); range && !this.stopping; range = queue.shift()) {
        await this.foldRange(range, stripe);
      }
    };
    const workers = Math.max(1, Math.min(this.settings.workers, queue.length));
    await Promise.all(
      Array.from({ length: workers }, (_, stripe) =>
        pipeline(stripe).catch((error: unknown) => {
          // The first failure is the one reported; the others are the stop it caused.
          failure ??= { error };
          this.stopping = true;
        }),
      ),
    );
    if (failure) throw (failure as { error: unknown }).error;
    this.check();
    const id = this.latest.id;
    const folded = Date.now();
    // The source index's twin always: catch-up writes to it with ON CONFLICT, verify compares it.
    await shadow.completeReadModelIndexes();
    if (this.latest.kind === 'rebuild') await shadow.completeIndexes();
    await shadow.analyze();
    const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
    this.logger.log(
      `${this.latest.kind} job ${id}: bulk pass folded in ${seconds(started, folded)} s by ${workers} pipeline(s) ` +
        `over ${ranges} range(s), indexed and analysed in ${seconds(folded, Date.now())} s`,
    );
    const job = await projections.transaction(async (db) => {
      await this.ranges.drop(db);
      return jobs.recordPhase(id, 'catch-up', this.latest.horizonPosition!, db);
    });
    this.settings.report(job);
    return job;
  }

  /** The stored ranges of a resumed pass, or new ones cut at sampled (or given) ids. */
  private async plan(): Promise<BulkRange[]> {
    const { log, projections } = this.deps;
    const { workers, splitAt } = this.settings;
    const job = this.latest;
    const stored = await projections.transaction((db) => this.ranges.load(db));
    if (stored) return stored;
    // A job whose bulk pass began as one sequential stream (an earlier release) continues after its checkpoint.
    const after = job.checkpointOperationId ?? '';
    const parts = workers * RANGES_PER_WORKER;
    let points: readonly string[] = [];
    if (splitAt) points = splitAt;
    else if (workers > 1) {
      const remaining = Math.max((job.eventsTotal ?? 0) - job.eventsDone, 1);
      points = splitPoints(await log.sampleOperationIds(after, job.horizonPosition!, remaining, SAMPLE_TARGET), parts);
    }
    return projections.transaction((db) => this.ranges.create(db, rangesAt(after, points)));
  }

  /** One range, folded page by page; one batch is written while the next is folded. */
  private async foldRange(range: BulkRange, stripe: number): Promise<void> {
    const { log } = this.deps;
    const { pageSize } = this.settings;
    const resumeAfter = range.checkpoint ?? range.after;
    const pages = log.byOperation({
      after: afterOperation(resumeAfter === '' ? null : resumeAfter),
      upTo: this.latest.horizonPosition!,
      operationIdAtMost: range.atMost ?? undefined,
      pageSize,
    });
    let batch: ProjectionRow[] = [];
    let batchEvents = 0;
    // What the batch's events add to the rollups: written with its rows, so a resumed job never adds twice.
    const activity = { log: new LogActivity(), after: 0 };
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      this.check();
      if (batch.length === 0) return;
      writing = this.write(range, stripe, batch, batchEvents, activity.log);
      activity.log = new LogActivity();
      // Marked as handled now; the next flush awaits it and rethrows its failure.
      writing.catch(() => undefined);
      batch = [];
      batchEvents = 0;
    };
    try {
      for await (const folded of foldOperations(pages, activity)) {
        batch.push(folded.row);
        batchEvents += folded.events;
        if (batch.length >= pageSize || batchEvents >= pageSize * 10) await flush();
      }
      await flush();
    } finally {
      // Never leave a write running behind a failure or a cancel.
      await writing.catch(() => undefined);
    }
    await writing;
  }

  private async write(
    range: BulkRange,
    stripe: number,
    rows: ProjectionRow[],
    events: number,
    added: LogActivity,
  ): Promise<void> {
    const { projections, jobs, metrics } = this.deps;
    const { shadow } = this.settings;
    const id = this.latest.id;
    let endTurn: (() => void) | undefined;
    try {
      const job = await projections.bulkTransaction(async (db) => {
        // Not waiting for the WAL flush is safe here: a commit lost in a Postgres crash loses its rows,
        // its range checkpoint and the job's progress together, and the resumed job redoes the batch.
        await db.query('SET LOCAL synchronous_commit = off');
        await shadow.load(rows, { db, activity: added, stripe });
        await this.ranges.recordCheckpoint(db, range.index, rows[rows.length - 1].id);
        // From here to the commit, one batch at a time: the job row is locked by the update anyway.
        endTurn = await this.commits.take();
        if (failpoints.on) await failpoints.reach('rebuild.bulk.before-commit', () => ({ job: id }));
        return jobs.recordBulkProgress(db, id, {
          checkpointOperationId: rows[rows.length - 1].id,
          events,
          operations: rows.length,
        });
      });
      if (job.eventsDone >= this.latest.eventsDone) this.latest = job;
      if (job.kind === 'rebuild') metrics.rebuildEvents.inc(events);
      this.settings.report(this.latest);
    } finally {
      endTurn?.();
    }
  }

  private check(): void {
    const job = this.latest;
    if (this.stopping || job.cancelRequested || this.settings.signal?.aborted) throw new ReplayCancelledError(job.id);
  }
}
