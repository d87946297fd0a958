// The stage rollups' rows as OperatorReads.stageRollups returns them (types only: the pure report
// builder, operations/stage-stats.ts, reads them without depending on the database code).

/** A rollup row as read: a minute (or hour) of one stage in one stripe. */
export interface RollupRow {
  stage: string;
  started: string | number;
  succeeded: string | number;
  failed: string | number;
  skipped: string | number;
  /** The histogram, as JSON text. */
  durations: string;
}

/** One minute of one stage, stripes added up. */
export interface SeriesRow {
  minute: string;
  stage: string;
  started: string | number;
  succeeded: string | number;
  failed: string | number;
  skipped: string | number;
}

export interface StageRollups {
  windowRows: RollupRow[];
  seriesRows: SeriesRow[];
  eventRows: { minute: string; events: string }[];
  running: { stage: string; count: string }[];
}
