/**
 * Stage analytics, maintained incrementally: what each stage event adds to the
 * per-minute rollups (started / succeeded / failed / skipped, and a histogram of
 * attempt durations). Pure, and shared by the live append, the rebuild and the
 * migration that backfills the rollups.
 *
 * An event's contribution depends only on the event and on its stage's state
 * just before the event was folded. Live appends and rebuilds fold an
 * operation's events in the same order (version order), so a rebuild computes
 * exactly the rollups that ingest produced. Minutes are the event's own time
 * (`time`, not when it was recorded): a late event lands in the minute it
 * belongs to.
 */
import { elapsedMs } from '../envelope/event-time';
import type { FoldableEvent, StageState } from './operation-fold';

/**
 * Log-linear buckets, four per doubling: bucket 0 holds durations under 1 ms,
 * bucket b ≥ 1 holds [2^((b-1)/4), 2^(b/4)) ms; the last one is open-ended
 * (from about 2.4 days). Reporting a bucket's geometric middle is within
 * 2^(1/8) - 1 ≈ 9 % of any value in it. Histograms of this shape add up, so
 * minutes, stripes and hours merge by plain addition.
 */
export const DURATION_BUCKETS = 112;
const BUCKETS_PER_DOUBLING = 4;

export function durationBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(DURATION_BUCKETS - 1, 1 + Math.floor(Math.log2(ms) * BUCKETS_PER_DOUBLING));
}

/** The value reported for a bucket: its geometric middle (0 for the sub-millisecond bucket). */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0;
  return 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING);
}

/** The q-quantile (0 < q ≤ 1) of a histogram, or null when it is empty. */
export function histogramQuantile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket += 1) {
    seen += histogram[bucket];
    if (seen >= rank) return bucketValue(bucket);
  }
  return bucketValue(histogram.length - 1);
}

export type StageOutcome = 'started' | 'succeeded' | 'failed' | 'skipped';

const OUTCOME_BY_TYPE: Record<string, StageOutcome> = {
  'stage.started': 'started',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

export interface StageEventActivity {
  stage: string;
  /** The event time's minute, canonical: `YYYY-MM-DDTHH:MM:00.000000Z`. */
  minute: string;
  outcome: StageOutcome;
  /**
   * For a succeeded or failed attempt: from the stage's latest start that is not
   * after this event. Null when no such start had been folded yet (a finish that
   * arrives before its start counts as finished, without a duration).
   */
  durationMs: number | null;
}

export function minuteOf(time: string): string {
  return `${time.slice(0, 16)}:00.000000Z`;
}

/** What one event adds to the rollups, given its stage's state before it was folded; null for other events. */
export function stageEventActivity(
  stageBefore: StageState | undefined,
  event: FoldableEvent,
): StageEventActivity | null {
  const outcome = OUTCOME_BY_TYPE[event.type];
  if (outcome === undefined) return null;
  const stage = event.data?.stage;
  if (typeof stage !== 'string') return null;
  let durationMs: number | null = null;
  if ((outcome === 'succeeded' || outcome === 'failed') && stageBefore?.lastStartedAt) {
    const started = stageBefore.lastStartedAt;
    if (started <= event.time) durationMs = elapsedMs(started, event.time);
  }
  return { stage, minute: minuteOf(event.time), outcome, durationMs };
}

/** The stage's state in a projection's stages, read as an own property ("__proto__" is an ordinary stage name). */
export function stageStateOf(stages: Record<string, StageState>, event: FoldableEvent): StageState | undefined {
  const name = event.data?.stage;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(stages, name)) return undefined;
  return stages[name];
}

/** One (stage, minute) cell of the rollups. */
export interface StageMinuteRollup {
  stage: string;
  minute: string;
  started: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Dense, DURATION_BUCKETS long. */
  durations: number[];
}

/** A row of stage_minute_stats or stage_hour_stats as the writers send it. */
export interface RollupCell {
  stage: string;
  bucket: string;
  started: number;
  succeeded: number;
  failed: number;
  skipped: number;
  durations: number[];
}

/** Sums contributions by (stage, minute); what an append or a rebuild batch writes in one go. */
export class StageActivityRollup {
  private readonly cells = new Map<string, StageMinuteRollup>();

  get size(): number {
    return this.cells.size;
  }

  add(activity: StageEventActivity): void {
    const key = `${activity.stage}\u0000${activity.minute}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        stage: activity.stage,
        minute: activity.minute,
        started: 0,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        durations: new Array<number>(DURATION_BUCKETS).fill(0),
      };
      this.cells.set(key, cell);
    }
    cell[activity.outcome] += 1;
    if (activity.durationMs !== null) cell.durations[durationBucket(activity.durationMs)] += 1;
  }

  /**
   * What the append (or a rebuild batch) writes: the minute cells, and the same
   * contributions summed by hour (the 24-hour window reads hours). `bucket` is
   * the minute's (hour's) start.
   */
  toWriteRequest(): { minutes: RollupCell[]; hours: RollupCell[] } {
    const hours = new Map<string, RollupCell>();
    const minutes: RollupCell[] = [];
    for (const cell of this.cells.values()) {
      const { minute, ...counts } = cell;
      minutes.push({ ...counts, durations: [...cell.durations], bucket: minute });
      const hour = `${minute.slice(0, 13)}:00:00.000000Z`;
      const key = `${cell.stage}\u0000${hour}`;
      const total = hours.get(key);
      if (!total) {
        hours.set(key, { ...counts, durations: [...cell.durations], bucket: hour });
        continue;
      }
      total.started += cell.started;
      total.succeeded += cell.succeeded;
      total.failed += cell.failed;
      total.skipped += cell.skipped;
      for (let b = 0; b < DURATION_BUCKETS; b += 1) total.durations[b] += cell.durations[b];
    }
    return { minutes, hours: [...hours.values()] };
  }

  clear(): void {
    this.cells.clear();
  }
}
