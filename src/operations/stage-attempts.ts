import type { AttemptSpan } from '../contract/timeline';
import type { StageStatus } from '../projection/operation-fold';

// The API's types of an attempt (src/contract), here too for the console that reads them from here.
export type { AttemptOutcome, AttemptSpan } from '../contract/timeline';

/** A stage event as the attempt reconstruction needs it. */
export interface StageEventFact {
  id: string;
  type: 'stage.started' | 'stage.completed' | 'stage.failed' | 'stage.skipped';
  stage: string;
  source: string;
  /** Canonical time (UTC, six fractional digits): sorts as a string. */
  time: string;
  error: unknown;
}

const OUTCOME: Record<StageEventFact['type'], StageStatus> = {
  'stage.started': 'running',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

function byKey(a: StageEventFact, b: StageEventFact): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The attempts of every stage, rebuilt from the stage events in event-time order (the order the
 * fold judges by, so arrival order and late events do not matter): each start opens an attempt,
 * the next outcome closes it. An outcome with no open attempt revises the last one (a later
 * outcome wins, as in the fold), so the last attempt always agrees with the stage's state:
 * same status, same last start, same finish. The number of spans with a start equals the stage's
 * `attempts`. Cost: one sort of the operation's stage events.
 */
export function stageAttempts(events: readonly StageEventFact[]): Map<string, AttemptSpan[]> {
  const byStage = new Map<string, StageEventFact[]>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const list = byStage.get(event.stage);
    if (list) list.push(event);
    else byStage.set(event.stage, [event]);
  }
  const result = new Map<string, AttemptSpan[]>();
  for (const [stage, list] of byStage) {
    list.sort(byKey);
    const spans: AttemptSpan[] = [];
    let starts = 0;
    for (const event of list) {
      const last = spans.at(-1);
      if (event.type === 'stage.started') {
        if (last && last.outcome === 'running') {
          last.outcome = 'superseded';
          last.endedAt = event.time;
        }
        starts += 1;
        spans.push({
          attempt: starts,
          startedAt: event.time,
          endedAt: null,
          outcome: 'running',
          source: event.source,
          error: null,
        });
        continue;
      }
      const outcome = OUTCOME[event.type];
      const error = outcome === 'failed' ? (event.error ?? null) : null;
      if (last) {
        // Closes the open attempt, or revises the last outcome with a later one (the fold's winner).
        last.outcome = outcome;
        last.endedAt = event.time;
        last.source = event.source;
        last.error = error;
      } else {
        spans.push({ attempt: 0, startedAt: null, endedAt: event.time, outcome, source: event.source, error });
      }
    }
    result.set(stage, spans);
  }
  return result;
}
