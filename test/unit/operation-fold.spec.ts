import fc from 'fast-check';
import type { OperationEvent } from '../../src/envelope/operation-event';
import {
  compareKeys,
  evolve,
  foldEvents,
  type OperationState,
  type StageStatus,
} from '../../src/projection/operation-fold';

const STAGES = ['ingest', 'validate', 'enrich', '__proto__'];
const TYPES = [
  'operation.created',
  'stage.started',
  'stage.completed',
  'stage.failed',
  'stage.skipped',
  'operation.completed',
  'operation.failed',
  'operation.cancelled',
  'operation.restarted',
  'metadata.updated',
  'custom.noted',
];

// Few distinct instants, so that equal times (decided by id) are common.
const TIMES = Array.from({ length: 6 }, (_, i) => `2026-01-01T00:00:0${i}.000000Z`);

const eventArb = (index: number) =>
  fc
    .record({
      type: fc.constantFrom(...TYPES),
      time: fc.constantFrom(...TIMES),
      stage: fc.constantFrom(...STAGES),
      source: fc.constantFrom('svc-a', 'svc-b'),
      metaKey: fc.constantFrom('color', 'size', 'owner'),
      metaValue: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 5 })),
    })
    .map(({ type, time, stage, source, metaKey, metaValue }): OperationEvent => {
      let data: Record<string, unknown> | null = null;
      if (type.startsWith('stage.')) data = { stage, ...(type === 'stage.failed' ? { error: `boom-${index}` } : {}) };
      if (type === 'metadata.updated') data = { metadata: { [metaKey]: metaValue } };
      if (type === 'operation.completed') data = { result: { n: index } };
      if (type === 'operation.failed') data = { error: `failed-${index}` };
      return {
        id: `e${String(index).padStart(3, '0')}`,
        source,
        type,
        operationId: 'op-1',
        time,
        data,
        expectedVersion: null,
      };
    });

const eventSetArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => eventArb(i))));

const STAGE_STATUS: Record<string, StageStatus> = {
  'stage.started': 'running',
  'stage.completed': 'succeeded',
  'stage.failed': 'failed',
  'stage.skipped': 'skipped',
};

/** The rules of docs/consistency.md computed directly from the set, without evolve. */
function referenceState(events: OperationEvent[]): Omit<OperationState, 'version' | 'eventCount'> {
  const sorted = [...events].sort(compareKeys);
  const last = <T>(items: T[]) => items[items.length - 1];
  const stages: OperationState['stages'] = {};
  for (const name of STAGES) {
    const own = sorted.filter((e) => e.type.startsWith('stage.') && e.data?.stage === name);
    if (own.length === 0) continue;
    const starts = own.filter((e) => e.type === 'stage.started');
    const winner = last(own);
    const status = STAGE_STATUS[winner.type];
    Object.defineProperty(stages, name, {
      enumerable: true,
      writable: true,
      configurable: true,
      value: {
        status,
        attempts: starts.length,
        firstStartedAt: starts.length ? starts.map((e) => e.time).sort()[0] : null,
        lastStartedAt: starts.length ? last(starts.map((e) => e.time).sort()) : null,
        finishedAt: status === 'running' ? null : winner.time,
        source: winner.source,
        error: status === 'failed' ? (winner.data?.error ?? null) : null,
      },
    });
  }
  const metadata: Record<string, unknown> = {};
  for (const key of ['color', 'size', 'owner']) {
    const writes = sorted.filter((e) => e.type === 'metadata.updated' && key in (e.data!.metadata as object));
    if (writes.length === 0) continue;
    const value = (last(writes).data!.metadata as Record<string, unknown>)[key];
    if (value !== null) metadata[key] = value;
  }
  const terminals = sorted.filter((e) =>
    ['operation.completed', 'operation.failed', 'operation.cancelled'].includes(e.type),
  );
  const restarts = sorted.filter((e) => e.type === 'operation.restarted');
  const terminal = last(terminals);
  const restart = last(restarts);
  let status: OperationState['status'] = Object.keys(stages).length > 0 ? 'running' : 'pending';
  let result: unknown = null;
  let error: unknown = null;
  if (terminal && (!restart || compareKeys(terminal, restart) > 0)) {
    status = (
      { 'operation.completed': 'succeeded', 'operation.failed': 'failed', 'operation.cancelled': 'cancelled' } as const
    )[terminal.type as 'operation.completed'];
    result = terminal.type === 'operation.completed' ? (terminal.data?.result ?? null) : null;
    error = terminal.type === 'operation.failed' ? (terminal.data?.error ?? null) : null;
  }
  const times = events.map((e) => e.time).sort();
  return { id: 'op-1', status, stages, metadata, result, error, createdAt: times[0], updatedAt: last(times) };
}

describe('operation fold', () => {
  it('gives the same state for any order and any duplication of the same event set', () => {
    fc.assert(
      fc.property(eventSetArb, fc.infiniteStream(fc.nat()), (events, randomness) => {
        const expected = foldEvents(events)!.state;
        const shuffled = [...events, ...events.filter((_, i) => i % 3 === 0)];
        const it = randomness[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i -= 1) {
          const j = it.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const actual = foldEvents(shuffled)!.state;
        expect(actual).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('matches the rules computed directly from the set', () => {
    fc.assert(
      fc.property(eventSetArb, (events) => {
        const { version, eventCount, ...state } = foldEvents(events)!.state;
        expect(state).toEqual(referenceState(events));
        expect(version).toBe(events.length);
        expect(eventCount).toBe(events.length);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a late, older stage event from overwriting a newer one', () => {
    const base = { operationId: 'op', source: 's', expectedVersion: null };
    const completed = {
      ...base,
      id: 'b',
      type: 'stage.completed',
      time: '2026-01-01T00:00:02.000000Z',
      data: { stage: 'x' },
    };
    const lateStart = {
      ...base,
      id: 'a',
      type: 'stage.started',
      time: '2026-01-01T00:00:01.000000Z',
      data: { stage: 'x' },
    };
    const state = evolve(evolve(null, completed), lateStart).state;
    expect(state.stages.x).toMatchObject({ status: 'succeeded', attempts: 1, finishedAt: completed.time });
    expect(state.version).toBe(2);
  });

  it('reopens a terminal operation only for a restart newer than the terminal event', () => {
    const base = { operationId: 'op', source: 's', expectedVersion: null, data: null };
    const failed = {
      ...base,
      id: 'f',
      type: 'operation.failed',
      time: '2026-01-01T00:00:02.000000Z',
      data: { error: 'x' },
    };
    const oldRestart = { ...base, id: 'r1', type: 'operation.restarted', time: '2026-01-01T00:00:01.000000Z' };
    const newRestart = { ...base, id: 'r2', type: 'operation.restarted', time: '2026-01-01T00:00:03.000000Z' };
    expect(foldEvents([failed, oldRestart])!.state).toMatchObject({ status: 'failed', error: 'x' });
    expect(foldEvents([failed, newRestart])!.state).toMatchObject({ status: 'pending', error: null });
  });

  it('treats a stage named __proto__ as an ordinary stage', () => {
    const event = {
      id: 'p',
      operationId: 'op',
      source: 's',
      type: 'stage.started',
      time: '2026-01-01T00:00:00.000000Z',
      data: { stage: '__proto__' },
      expectedVersion: null,
    };
    const state = foldEvents([event])!.state;
    expect(Object.keys(state.stages)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(state)).stages.__proto__.status).toBe('running');
  });
});
