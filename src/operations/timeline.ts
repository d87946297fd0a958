import { elapsedMs } from '../envelope/event-time';
import type { AttemptSpan, OperationTimeline, StageTimeline } from '../contract/timeline';
import type { OperationState } from '../projection/operation-fold';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Where the time went: the stages ordered by first start (never-started stages last, by name),
 * each with its attempts (from {@link stageAttempts}; none given, none shown).
 */
export function buildTimeline(
  state: OperationState,
  now: string,
  attempts: ReadonlyMap<string, AttemptSpan[]> = new Map(),
): OperationTimeline {
  const stages = Object.entries(state.stages).map(([stage, s]): StageTimeline => {
    const running = s.status === 'running';
    const end = running ? now : s.finishedAt;
    return {
      stage,
      status: s.status,
      attempts: s.attempts,
      firstStartedAt: s.firstStartedAt,
      lastStartedAt: s.lastStartedAt,
      finishedAt: s.finishedAt,
      durationMs: s.firstStartedAt && end ? Math.max(0, elapsedMs(s.firstStartedAt, end)) : null,
      running,
      attemptSpans: attempts.get(stage) ?? [],
    };
  });
  stages.sort((a, b) => {
    if (a.firstStartedAt === b.firstStartedAt) return a.stage < b.stage ? -1 : a.stage > b.stage ? 1 : 0;
    if (a.firstStartedAt === null) return 1;
    if (b.firstStartedAt === null) return -1;
    return a.firstStartedAt < b.firstStartedAt ? -1 : 1;
  });
  const finished = TERMINAL.has(state.status);
  return {
    id: state.id,
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    elapsedMs: Math.max(0, elapsedMs(state.createdAt, finished ? state.updatedAt : now)),
    stages,
    runningStages: stages.filter((s) => s.running).map((s) => s.stage),
  };
}
