/** GET /v1/stats/ingest (types only: the console's browser code imports them too). */
export interface PartitionLag {
  partition: number;
  lag: number;
}

export interface IngestStatusView {
  consumer: { enabled: boolean; connected: boolean; joinedGroup: boolean; partitions: number[] };
  /** Null when ingest is off, or the broker could not be asked (then `lagError` says why). */
  lag: { total: number; partitions: PartitionLag[]; measuredAt: string } | null;
  lagError: string | null;
  deadLetters: { total: number; newestAt: string | null };
}
