import type { FailpointName } from '../../../src/common/failpoints';
import type { ServiceProcess } from '../../support/service-process';
import { queryDatabase } from '../../support/test-app';
import { waitFor } from '../../support/wait-for';
import { type FailpointHits, launchAndCrashAt } from './failpoint-hits';

/** A replay job as GET /v1/admin/projections/rebuild/{jobId} shows it (the fields checked here). */
interface JobView {
  jobId: number;
  status: string;
  phase: string;
  progress: { eventsDone: number; eventsTotal: number | null };
  horizonPosition: number | null;
  caughtUpPosition: number | null;
}

/** What one kill of the rebuild showed, checked after the next launch. */
export interface RebuildKill {
  failpoint: FailpointName;
  /** The job as the next incarnation found it. */
  found: string;
  /** True when the job was found exactly as a kill in that phase must leave it. */
  landed: boolean;
}

async function admin(service: ServiceProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<JobView> {
  const response = await fetch(`${service.url}/v1/admin/projections/rebuild${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} rebuild${path}: ${response.status} ${text}`);
  return JSON.parse(text) as JobView;
}

const headPosition = async (databaseUrl: string) =>
  Number(
    (
      await queryDatabase<{ head: string }>(
        databaseUrl,
        'SELECT coalesce(max(position), 0) AS head FROM operation_events',
      )
    )[0].head,
  );

const shadowExists = async (databaseUrl: string, jobId: number) =>
  (await queryDatabase(databaseUrl, `SELECT 1 FROM pg_tables WHERE tablename = $1`, [`operations_rebuild_${jobId}`]))
    .length === 1;

const describe = (job: JobView) =>
  `${job.status} in ${job.phase}, ${job.progress.eventsDone}/${job.progress.eventsTotal} events, ` +
  `horizon ${job.horizonPosition}, caught up to ${job.caughtUpPosition}`;

/**
 * A rebuild killed once in each phase, while ingest goes on, each kill
 * followed by a resume in the next incarnation:
 *
 * 1. bulk: inside the second batch's transaction (rows and rollups written, checkpoint not);
 *    found interrupted in bulk with the first batch's events done and not the rest;
 * 2. catch-up: inside a round's transaction, once events arrived after the horizon;
 *    found interrupted in catch-up, the bulk pass complete, caught up to the horizon only (rolled back);
 * 3. swap: inside the swap's transaction, live table locked and the shadow renamed in;
 *    found interrupted in swap with its shadow table still there (rolled back).
 *
 * Then a last resume must succeed with every event counted once. Leaves the
 * service running (unarmed); the caller's ledger and read-model checks judge
 * the swapped-in projection.
 */
export async function killRebuildInEachPhase(
  service: ServiceProcess,
  hits: FailpointHits,
  databaseUrl: string,
  pageSize: number,
): Promise<{ kills: RebuildKill[]; final: JobView }> {
  let jobId = 0;
  const kills: RebuildKill[] = [];
  const judge = async (failpoint: FailpointName, landed: (job: JobView) => Promise<boolean> | boolean) => {
    const job = await admin(service, 'GET', `/${jobId}`);
    kills.push({ failpoint, found: describe(job), landed: job.status === 'interrupted' && (await landed(job)) });
  };

  await launchAndCrashAt(service, hits, 'rebuild.bulk.before-commit=1*off->crash', 'rebuild.bulk.before-commit', {
    whenLive: async () => (jobId = (await admin(service, 'POST', '', { pageSize })).jobId),
  });

  await launchAndCrashAt(service, hits, 'rebuild.catch-up.before-commit=crash', 'rebuild.catch-up.before-commit', {
    whenLive: async () => {
      await judge('rebuild.bulk.before-commit', (job) => {
        const { eventsDone, eventsTotal } = job.progress;
        return job.phase === 'bulk' && eventsDone > 0 && eventsDone < (eventsTotal ?? 0);
      });
      // The catch-up failpoint is only reached by a round with work: events after the horizon.
      const { horizonPosition } = await admin(service, 'GET', `/${jobId}`);
      await waitFor(
        'events after the rebuild horizon',
        async () => (await headPosition(databaseUrl)) > horizonPosition!,
      );
      await admin(service, 'POST', `/${jobId}/resume`);
    },
  });

  await launchAndCrashAt(service, hits, 'rebuild.swap.before-commit=crash', 'rebuild.swap.before-commit', {
    whenLive: async () => {
      await judge(
        'rebuild.catch-up.before-commit',
        (job) =>
          job.phase === 'catch-up' &&
          job.progress.eventsDone === job.progress.eventsTotal &&
          job.caughtUpPosition === job.horizonPosition,
      );
      await admin(service, 'POST', `/${jobId}/resume`);
    },
  });

  await service.launch();
  await judge(
    'rebuild.swap.before-commit',
    async (job) => job.phase === 'swap' && (await shadowExists(databaseUrl, jobId)),
  );
  await admin(service, 'POST', `/${jobId}/resume`);
  let final: JobView | undefined;
  await waitFor(
    'the resumed rebuild to finish',
    async () => {
      final = await admin(service, 'GET', `/${jobId}`);
      return final.status !== 'running';
    },
    { timeoutMs: 300_000, intervalMs: 250 },
  );
  return { kills, final: final! };
}

export const rebuildSucceeded = (job: JobView) =>
  job.status === 'succeeded' && job.progress.eventsDone === job.progress.eventsTotal;
