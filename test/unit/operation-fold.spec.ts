import fc from 'fast-check';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { evolve, foldEvents } from '../../src/projection/operation-fold';
import { referenceState } from '../support/reference-fold';

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
        expect(state).toEqual(referenceState('op-1', events));
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
