import { loadConfig } from '../../src/config/app-config';

export interface ContenderSettings {
  partitionsConcurrency: number;
  poolSize: number;
  fetchMaxWaitMs: number;
}

/**
 * The baseline and ceiling get the service's own concurrency settings (its
 * defaults, or whatever INGEST_* / DATABASE_POOL_SIZE the caller set), so that
 * a ratio compares designs, not knobs.
 */
export function contenderSettings(): ContenderSettings {
  const config = loadConfig({ ...process.env, HOST: '127.0.0.1' });
  return {
    partitionsConcurrency: config.ingestPartitionsConcurrency,
    poolSize: config.databasePoolSize,
    fetchMaxWaitMs: config.ingestFetchMaxWaitMs,
  };
}
