import fc from 'fast-check';
import type { OperationEvent } from '../../../src/envelope/operation-event';
import { foldEvents } from '../../../src/projection/operation-fold';
import { type StageEventFact, stageAttempts } from '../../../src/operations/stage-attempts';

const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000000Z`;
let counter = 0;
function stageEvent(type: StageEventFact['type'], stage: string, time: string, extra: Partial<StageEventFact> = {}) {
  counter += 1;
  return { id: `e${String(counter).padStart(4, '0')}`, type, stage, source: 'svc', time, error: null, ...extra };
}

describe('stage attempts', () => {
  it('gives one span per start, the earlier ones closed by their failures', () => {
    const spans = stageAttempts([
      stageEvent('stage.started', 'geo', at(1)),
      stageEvent('stage.failed', 'geo', at(2), { error: { code: 'timeout' } }),
      stageEvent('stage.started', 'geo', at(3)),
      stageEvent('stage.completed', 'geo', at(5)),
      stageEvent('stage.started', 'score', at(1)),
    ]);
    expect(spans.get('geo')).toEqual([
      { attempt: 1, startedAt: at(1), endedAt: at(2), outcome: 'failed', source: 'svc', error: { code: 'timeout' } },
      { attempt: 2, startedAt: at(3), endedAt: at(5), outcome: 'succeeded', source: 'svc', error: null },
    ]);
    expect(spans.get('score')).toEqual([
      { attempt: 1, startedAt: at(1), endedAt: null, outcome: 'running', source: 'svc', error: null },
    ]);
  });

  it('orders by event time, not arrival: a late failure still closes the first attempt', () => {
    const events = [
      stageEvent('stage.started', 'geo', at(1)),
      stageEvent('stage.started', 'geo', at(3)),
      stageEvent('stage.completed', 'geo', at(4)),
      stageEvent('stage.failed', 'geo', at(2)),
    ];
    expect(
      stageAttempts(events)
        .get('geo')
        ?.map((s) => [s.attempt, s.outcome, s.endedAt]),
    ).toEqual([
      [1, 'failed', at(2)],
      [2, 'succeeded', at(4)],
    ]);
  });

  it('marks a start without an outcome before the next start as superseded, and a skip without start as attempt 0', () => {
    const spans = stageAttempts([
      stageEvent('stage.started', 'a', at(1)),
      stageEvent('stage.started', 'a', at(2)),
      stageEvent('stage.skipped', 'b', at(3)),
    ]);
    expect(spans.get('a')?.map((s) => [s.outcome, s.endedAt])).toEqual([
      ['superseded', at(2)],
      ['running', null],
    ]);
    expect(spans.get('b')).toEqual([
      { attempt: 0, startedAt: null, endedAt: at(3), outcome: 'skipped', source: 'svc', error: null },
    ]);
  });

  it('agrees with the fold for any set of stage events, in any order', () => {
    const TYPES: StageEventFact['type'][] = ['stage.started', 'stage.completed', 'stage.failed', 'stage.skipped'];
    const eventArb = (index: number) =>
      fc
        .record({
          type: fc.constantFrom(...TYPES),
          stage: fc.constantFrom('a', 'b', '__proto__'),
          // Few instants, so that ties (decided by id) are common.
          time: fc.integer({ min: 0, max: 5 }).map(at),
          source: fc.constantFrom('svc-1', 'svc-2'),
        })
        .map((fields): StageEventFact => ({
          id: `e${String(index).padStart(3, '0')}`,
          error: `err-${index}`,
          ...fields,
        }));
    const setArb = fc
      .integer({ min: 1, max: 30 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => eventArb(i))));
    fc.assert(
      fc.property(setArb, fc.infiniteStream(fc.nat()), (events, randomness) => {
        const asOperationEvents = events.map((e): OperationEvent => ({
          id: e.id,
          source: e.source,
          type: e.type,
          operationId: 'op',
          time: e.time,
          data: { stage: e.stage, ...(e.type === 'stage.failed' ? { error: e.error } : {}) },
          expectedVersion: null,
        }));
        const state = foldEvents(asOperationEvents)!.state;
        const random = randomness[Symbol.iterator]();
        const shuffled = [...events].sort(() => ((random.next().value as number) % 3) - 1);
        const spans = stageAttempts([...shuffled, ...shuffled.slice(0, 2)]);
        expect([...spans.keys()].sort()).toEqual(Object.keys(state.stages).sort());
        for (const [name, stage] of Object.entries(state.stages)) {
          const list = spans.get(name)!;
          const started = list.filter((s) => s.startedAt !== null);
          expect(started).toHaveLength(stage.attempts);
          expect(started.map((s) => s.attempt)).toEqual(started.map((_, i) => i + 1));
          const last = list.at(-1)!;
          expect(last.outcome).toBe(stage.status);
          expect(last.source).toBe(stage.source);
          expect(last.error).toEqual(stage.error);
          expect(last.outcome === 'running' ? null : last.endedAt).toBe(stage.finishedAt);
          expect(started[0]?.startedAt ?? null).toBe(stage.firstStartedAt);
          expect(started.at(-1)?.startedAt ?? null).toBe(stage.lastStartedAt);
          // In time order, never overlapping: each span ends no later than the next one starts.
          for (let i = 1; i < list.length; i += 1) {
            const previousEnd = list[i - 1].endedAt;
            if (list[i].startedAt !== null && previousEnd !== null)
              expect(previousEnd <= list[i].startedAt!).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
