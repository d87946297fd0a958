/** The windows GET /v1/stats/stages reports over. */
export type StageStatsWindow = '15m' | '1h' | '24h';

export interface StageDurations {
  /** Attempts with a measured duration (a finish whose start was known). */
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface StageStats {
  stage: string;
  started: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Now, among operations in progress (the same count as /v1/stats runningByStage). */
  running: number;
  /** failed / (succeeded + failed) in the window; null when no attempt finished. */
  failureRate: number | null;
  durationMs: StageDurations;
}

export interface StageSeries {
  started: number[];
  succeeded: number[];
  failed: number[];
  skipped: number[];
}

export interface StageStatsReport {
  window: StageStatsWindow;
  from: string;
  to: string;
  stages: StageStats[];
  series: { minutes: string[]; events: number[]; stages: Record<string, StageSeries> };
}
