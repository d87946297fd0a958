import fc from 'fast-check';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { foldAppended } from '../../src/event-store/append-fold';
import { foldEvents, type Projection } from '../../src/projection/operation-fold';
import {
  type RollupCell,
  StageActivityRollup,
  stageEventActivity,
  stageStateOf,
} from '../../src/projection/stage-activity';

const TYPES = ['operation.created', 'stage.started', 'stage.completed', 'stage.failed', 'operation.completed'];
const TIMES = Array.from({ length: 5 }, (_, i) => `2026-01-01T00:0${i}:00.000000Z`);

/** The events of one operation, versions 1..n in arrival order (as the plan gives them). */
const historyArb = (operationId: string) =>
  fc
    .array(
      fc.record({
        type: fc.constantFrom(...TYPES),
        time: fc.constantFrom(...TIMES),
        stage: fc.constantFrom('ingest', 'enrich'),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((drafts) =>
      drafts.map(({ type, time, stage }, index): OperationEvent & { version: number } => ({
        id: `${operationId}-e${index}`,
        operationId,
        source: 'svc',
        type,
        time,
        data: type.startsWith('stage.') ? { stage } : null,
        expectedVersion: null,
        version: index + 1,
      })),
    );

/** The cells of a rollup in (bucket, stage) order: the order they were added in does not matter. */
function sorted(rollup: StageActivityRollup) {
  const byKey = (a: RollupCell, b: RollupCell) => (`${a.bucket} ${a.stage}` < `${b.bucket} ${b.stage}` ? -1 : 1);
  const { minutes, hours } = rollup.toWriteRequest();
  return { minutes: minutes.sort(byKey), hours: hours.sort(byKey) };
}

describe('foldAppended (the fold step of an append)', () => {
  it('folds the new events onto the heads that were read into exactly the state of folding whole histories', () => {
    fc.assert(
      fc.property(
        historyArb('op-a'),
        historyArb('op-b'),
        fc.nat(),
        fc.nat(),
        fc.array(fc.boolean(), { maxLength: 24 }),
        (a, b, cutA, cutB, order) => {
          const splitA = cutA % (a.length + 1);
          const splitB = cutB % (b.length + 1);
          const heads = new Map<string, { projection: Projection }>();
          if (splitA > 0) heads.set('op-a', { projection: foldEvents(a.slice(0, splitA))! });
          if (splitB > 0) heads.set('op-b', { projection: foldEvents(b.slice(0, splitB))! });
          // The new events of both operations interleaved (each operation's own order kept), as a merged append sends them.
          const restA = a.slice(splitA);
          const restB = b.slice(splitB);
          const appended: (OperationEvent & { version: number })[] = [];
          for (let i = 0, j = 0, k = 0; i < restA.length || j < restB.length; k += 1) {
            if (j >= restB.length || (i < restA.length && !order[k])) appended.push(restA[i++]);
            else appended.push(restB[j++]);
          }

          const { projections, activity } = foldAppended(heads, appended);

          const expected: Record<string, Projection | null> = {};
          if (restA.length > 0) expected['op-a'] = foldEvents(a);
          if (restB.length > 0) expected['op-b'] = foldEvents(b);
          expect(Object.fromEntries(projections.map((p) => [p.state.id, p]))).toEqual(expected);

          // The rollups get each new event judged against its stage just before it, as a rebuild judges it.
          const rollup = new StageActivityRollup();
          for (const [events, split] of [
            [a, splitA],
            [b, splitB],
          ] as const) {
            for (let i = split; i < events.length; i += 1) {
              const before = i === 0 ? null : foldEvents(events.slice(0, i))!;
              const contribution = stageEventActivity(
                before ? stageStateOf(before.state.stages, events[i]) : undefined,
                events[i],
              );
              if (contribution) rollup.add(contribution);
            }
          }
          expect(sorted(activity)).toEqual(sorted(rollup));
        },
      ),
    );
  });
});
