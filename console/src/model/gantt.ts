import type { AttemptOutcome, OperationTimeline } from '../api/types';
import { toMs } from './time';

/** One attempt of one stage, placed on the operation's time axis (ms from its first event). */
export interface GanttBar {
  stage: string;
  /** 1-based start number; 0 for an outcome without a start (a skipped stage). */
  attempt: number;
  /** How many times the stage started. */
  of: number;
  outcome: AttemptOutcome;
  startMs: number;
  endMs: number;
  running: boolean;
  /** An attempt before the stage's last one (drawn lighter). */
  earlier: boolean;
  /** No start: drawn as a point, not a bar. */
  marker: boolean;
  source: string;
  error: unknown;
  startedAt: string | null;
  endedAt: string | null;
}

export interface GanttLane {
  stage: string;
  status: string;
  attempts: number;
  durationMs: number | null;
  running: boolean;
  bars: GanttBar[];
}

export interface GanttModel {
  /** Epoch ms of the operation's first event: the axis' zero. */
  originMs: number;
  /** Length of the axis: to the last event when finished, to now while it runs. */
  totalMs: number;
  lanes: GanttLane[];
  /** Stages left out by the "shorter than" threshold. */
  hidden: string[];
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The bars of a timeline: one per attempt, in lanes per stage (the API's order: by first start).
 * Running attempts end at `nowMs`. With `hideBelowMs`, finished stages shorter than that are left
 * out (and listed in `hidden`), so that the long ones get the room; running stages always show.
 */
export function ganttModel(timeline: OperationTimeline, nowMs: number, hideBelowMs: number | null = null): GanttModel {
  const originMs = toMs(timeline.createdAt);
  const lastMs = toMs(timeline.updatedAt);
  const endMs = FINISHED.has(timeline.status) ? lastMs : Math.max(lastMs, nowMs);
  const lanes: GanttLane[] = [];
  const hidden: string[] = [];
  for (const stage of timeline.stages) {
    const spans = stage.attemptSpans;
    const bars = spans.map((span, index): GanttBar => {
      const running = span.outcome === 'running';
      const start = span.startedAt === null ? null : toMs(span.startedAt) - originMs;
      const end = span.endedAt === null ? (running ? endMs - originMs : start) : toMs(span.endedAt) - originMs;
      const startMs = start ?? end ?? 0;
      return {
        stage: stage.stage,
        attempt: span.attempt,
        of: stage.attempts,
        outcome: span.outcome,
        startMs,
        endMs: Math.max(startMs, end ?? startMs),
        running,
        earlier: index < spans.length - 1,
        marker: span.startedAt === null,
        source: span.source,
        error: span.error,
        startedAt: span.startedAt,
        endedAt: span.endedAt,
      };
    });
    const durationMs = stage.running
      ? Math.max(0, endMs - (stage.firstStartedAt ? toMs(stage.firstStartedAt) : endMs))
      : stage.durationMs;
    if (hideBelowMs !== null && !stage.running && (durationMs ?? 0) < hideBelowMs) {
      hidden.push(stage.stage);
      continue;
    }
    lanes.push({
      stage: stage.stage,
      status: stage.status,
      attempts: stage.attempts,
      durationMs,
      running: stage.running,
      bars,
    });
  }
  return { originMs, totalMs: Math.max(0, endMs - originMs), lanes, hidden };
}

/** Round tick positions (1, 2 or 5 × 10^n ms apart) for an axis from `fromMs` to `toMs`: about `count` of them. */
export function ticks(fromMs: number, toMs: number, count = 6): number[] {
  const span = toMs - fromMs;
  if (!(span > 0)) return [fromMs];
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? 10 * power;
  const result: number[] = [];
  for (let tick = Math.ceil(fromMs / step) * step; tick <= toMs + step * 1e-9; tick += step) result.push(tick);
  return result;
}

/** The visible part of the axis: the zoom window, clamped into [0, totalMs]; the whole axis without one. */
export function viewWindow(
  totalMs: number,
  zoom: { fromMs: number; toMs: number } | null,
): { fromMs: number; toMs: number } {
  if (!zoom) return { fromMs: 0, toMs: Math.max(totalMs, 1) };
  const fromMs = Math.max(0, Math.min(zoom.fromMs, totalMs));
  const toMs = Math.max(fromMs + 0.001, Math.min(Math.max(zoom.toMs, fromMs), Math.max(totalMs, fromMs + 0.001)));
  return { fromMs, toMs };
}
