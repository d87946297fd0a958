import type { ReplayJob } from '../jobs/replay-job';

/** A replay job as the admin API shows it, with its progress and rate worked out. */
export function presentReplayJob(job: ReplayJob) {
  const seconds = Math.max((job.updatedAt.getTime() - job.runStartedAt.getTime()) / 1000, 0.001);
  const eventsThisRun = job.eventsDone - job.runEventsStart;
  const eventsPerSecond = job.status === 'running' && job.phase === 'bulk' ? Math.round(eventsThisRun / seconds) : null;
  const remaining = job.eventsTotal === null ? null : Math.max(job.eventsTotal - job.eventsDone, 0);
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.status,
    phase: job.phase,
    definitionVersion: job.definitionVersion,
    progress: {
      eventsDone: job.eventsDone,
      eventsTotal: job.eventsTotal,
      operationsDone: job.operationsDone,
      percent:
        job.eventsTotal === null
          ? null
          : job.eventsTotal === 0
            ? 100
            : Math.floor((100 * Math.min(job.eventsDone, job.eventsTotal)) / job.eventsTotal),
      eventsPerSecond,
      etaSeconds:
        eventsPerSecond && remaining !== null && eventsPerSecond > 0 ? Math.ceil(remaining / eventsPerSecond) : null,
    },
    horizonPosition: job.horizonPosition,
    caughtUpPosition: job.caughtUpPosition,
    checkpointOperationId: job.checkpointOperationId,
    cancelRequested: job.cancelRequested,
    report: job.report,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
