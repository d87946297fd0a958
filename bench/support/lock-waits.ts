import { Client } from 'pg';

/**
 * How much of the time appends spend waiting for each other (issue 17): a sampler that reads
 * pg_stat_activity every few milliseconds while a benchmark runs and counts, among the service's
 * backends that are running a statement, those waiting for a heavyweight lock (wait_event_type
 * 'Lock': an advisory lock such as the old append-order lock, a row or transaction lock of another
 * writer, a table lock). Sampling, not tracing: the share of samples is the share of time.
 */
export interface LockWaitReport {
  samples: number;
  /** Backend-samples running a statement (active) in the database. */
  activeBackendSamples: number;
  /** Of those, waiting for a heavyweight lock. */
  lockWaitingSamples: number;
  /** lockWaitingSamples / activeBackendSamples (0 when nothing was active). */
  waitingShare: number;
  /** What they waited for: wait_event (advisory, transactionid, tuple, relation…) → samples. */
  byEvent: Record<string, number>;
}

const SAMPLE_MS = 10;

export async function sampleLockWaits(databaseUrl: string): Promise<{ stop(): Promise<LockWaitReport> }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const report: LockWaitReport = {
    samples: 0,
    activeBackendSamples: 0,
    lockWaitingSamples: 0,
    waitingShare: 0,
    byEvent: {},
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ wait_event_type: string | null; wait_event: string | null }>(
        `SELECT wait_event_type, wait_event FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
           AND backend_type = 'client backend'`,
      );
      report.samples += 1;
      report.activeBackendSamples += rows.length;
      for (const row of rows) {
        if (row.wait_event_type !== 'Lock') continue;
        report.lockWaitingSamples += 1;
        const event = row.wait_event ?? 'unknown';
        report.byEvent[event] = (report.byEvent[event] ?? 0) + 1;
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      report.waitingShare =
        report.activeBackendSamples === 0 ? 0 : report.lockWaitingSamples / report.activeBackendSamples;
      return report;
    },
  };
}
