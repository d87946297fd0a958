/**
 * Stage analytics over a window, assembled from the rollup rows (pure): totals
 * and duration percentiles per stage, and the per-minute series of the last hour.
 */
import type { StageSeries, StageStats, StageStatsReport, StageStatsWindow } from '../contract/stage-stats';
import type { RollupRow, SeriesRow } from '../event-store/read-models/stage-rollup-rows';
import { DURATION_BUCKETS, histogramQuantile } from '../projection/stage-activity';

/** Minutes in each window. */
export const STAGE_STATS_WINDOWS: Readonly<Record<StageStatsWindow, number>> = { '15m': 15, '1h': 60, '24h': 1440 };
export const SERIES_MINUTES = 60;

export type { StageStatsReport, StageStatsWindow };

export interface StageStatsInput {
  window: StageStatsWindow;
  /** The current minute's start, canonical ISO. */
  currentMinute: string;
  windowRows: readonly RollupRow[];
  seriesRows: readonly SeriesRow[];
  eventRows: readonly { minute: string; events: string | number }[];
  running: readonly { stage: string; count: string | number }[];
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}:00.000000Z`;
}

/** Minute starts, oldest first, ending with the current minute. */
export function lastMinutes(currentMinute: string, count: number): string[] {
  const end = Date.parse(currentMinute.slice(0, 16) + ':00Z');
  return Array.from({ length: count }, (_, i) => isoMinute(end - (count - 1 - i) * 60_000));
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function put<T>(record: Record<string, T>, key: string, value: T): T {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

export function buildStageStats(input: StageStatsInput): StageStatsReport {
  const minutes = lastMinutes(input.currentMinute, SERIES_MINUTES);
  const windowMinutes = lastMinutes(input.currentMinute, STAGE_STATS_WINDOWS[input.window]);
  const totals: Record<string, { row: Omit<StageStats, 'running' | 'failureRate' | 'durationMs'>; hist: number[] }> =
    {};
  for (const row of input.windowRows) {
    const total =
      own(totals, row.stage) ??
      put(totals, row.stage, {
        row: { stage: row.stage, started: 0, succeeded: 0, failed: 0, skipped: 0 },
        hist: new Array<number>(DURATION_BUCKETS).fill(0),
      });
    total.row.started += Number(row.started);
    total.row.succeeded += Number(row.succeeded);
    total.row.failed += Number(row.failed);
    total.row.skipped += Number(row.skipped);
    const histogram = JSON.parse(row.durations) as number[];
    for (let b = 0; b < histogram.length && b < DURATION_BUCKETS; b += 1) total.hist[b] += histogram[b];
  }
  const running: Record<string, number> = {};
  for (const row of input.running) if (Number(row.count) !== 0) put(running, row.stage, Number(row.count));

  const names = [...new Set([...Object.keys(totals), ...Object.keys(running)])].sort();
  const stages = names.map((stage): StageStats => {
    const total = own(totals, stage);
    const counts = total?.row ?? { stage, started: 0, succeeded: 0, failed: 0, skipped: 0 };
    const hist = total?.hist ?? [];
    const finished = counts.succeeded + counts.failed;
    const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);
    return {
      ...counts,
      running: own(running, stage) ?? 0,
      failureRate: finished > 0 ? counts.failed / finished : null,
      durationMs: {
        count: hist.reduce((a, b) => a + b, 0),
        p50: round(histogramQuantile(hist, 0.5)),
        p95: round(histogramQuantile(hist, 0.95)),
        p99: round(histogramQuantile(hist, 0.99)),
      },
    };
  });

  const index = new Map(minutes.map((m, i) => [m, i]));
  const series: Record<string, StageSeries> = {};
  for (const row of input.seriesRows) {
    const i = index.get(row.minute);
    if (i === undefined) continue;
    const cell =
      own(series, row.stage) ??
      put(series, row.stage, {
        started: new Array<number>(SERIES_MINUTES).fill(0),
        succeeded: new Array<number>(SERIES_MINUTES).fill(0),
        failed: new Array<number>(SERIES_MINUTES).fill(0),
        skipped: new Array<number>(SERIES_MINUTES).fill(0),
      });
    cell.started[i] += Number(row.started);
    cell.succeeded[i] += Number(row.succeeded);
    cell.failed[i] += Number(row.failed);
    cell.skipped[i] += Number(row.skipped);
  }
  const events = new Array<number>(SERIES_MINUTES).fill(0);
  for (const row of input.eventRows) {
    const i = index.get(row.minute);
    if (i !== undefined) events[i] += Number(row.events);
  }
  const sortedSeries: Record<string, StageSeries> = {};
  for (const name of Object.keys(series).sort()) put(sortedSeries, name, series[name]);
  const to = new Date(Date.parse(input.currentMinute.slice(0, 16) + ':00Z') + 60_000).toISOString();
  return {
    window: input.window,
    from: windowMinutes[0].replace('.000000Z', '.000Z'),
    to,
    stages,
    series: { minutes: minutes.map((m) => m.replace('.000000Z', '.000Z')), events, stages: sortedSeries },
  };
}
