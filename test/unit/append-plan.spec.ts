import fc from 'fast-check';
import { eventDigest } from '../../src/envelope/event-digest';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { type AppendPlan, planAppend, type StoredEventRef, withPositions } from '../../src/event-store/append-plan';
import type { AppendOutcome } from '../../src/event-store/event-store.service';

/** `variant` changes the content (data), so that one id can name two different events. */
const event = (id: string, operationId: string, expectedVersion: number | null = null, variant = 0): OperationEvent =>
  ({
    id,
    operationId,
    type: 'custom.noted',
    source: 's',
    time: '2026-01-01T00:00:00.000000Z',
    data: variant === 0 ? null : { variant },
    expectedVersion,
  }) as OperationEvent;

const none = new Map<string, never>();

/** planAppend with each event's real digest, as the store calls it. */
const plan = (
  events: readonly OperationEvent[],
  units: readonly number[] | undefined,
  heads: ReadonlyMap<string, number>,
  stored: ReadonlyMap<string, StoredEventRef>,
): AppendPlan => planAppend(events, units, heads, stored, events.map(eventDigest));

/**
 * The reference: each unit decided alone, one after another, against the log as
 * the units before it left it (their appended events become stored ones, with
 * made-up positions that are then blanked, since a merged plan learns positions
 * only from the write).
 */
function planOneByOne(
  units: OperationEvent[][],
  heads: Map<string, number>,
  stored: Map<string, StoredEventRef>,
): AppendOutcome[][] {
  const versions = new Map(heads);
  const log = new Map(stored);
  const appendedHere = new Set<string>();
  return units.map((unit) => {
    const { outcomes, toInsert } = plan(unit, [unit.length], versions, log);
    for (const e of toInsert) {
      versions.set(e.operationId, e.version);
      log.set(e.id, {
        operationId: e.operationId,
        version: e.version,
        position: 1_000_000 + log.size,
        digest: e.digest,
      });
      appendedHere.add(e.id);
    }
    return outcomes.map((o) => (o.status !== 'rejected' && appendedHere.has(o.eventId) ? { ...o, position: 0 } : o));
  });
}

const operationIds = ['op-a', 'op-b', 'op-c'];
const eventIds = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'];

// Ids are reused with the same content (a redelivery) and with other content or another operation (a conflict).
const arbitraryEvent = fc
  .record({
    id: fc.constantFrom(...eventIds),
    operationId: fc.constantFrom(...operationIds),
    expectedVersion: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 3 }),
    variant: fc.constantFrom(0, 0, 0, 1),
  })
  .map(({ id, operationId, expectedVersion, variant }) => event(id, operationId, expectedVersion, variant));

const arbitraryHeads = fc
  .subarray(operationIds)
  .chain((ids) => fc.tuple(...ids.map((id) => fc.tuple(fc.constant(id), fc.integer({ min: 1, max: 3 })))))
  .map((pairs) => new Map<string, number>(pairs));

const arbitraryStored = fc
  .subarray(eventIds.slice(0, 4))
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id, index) =>
        fc.tuple(
          fc.constant(id),
          fc
            .record({
              operationId: fc.constantFrom(...operationIds),
              variant: fc.constantFrom(0, 1),
              known: fc.constantFrom(true, true, true, false),
            })
            .map(({ operationId, variant, known }) => ({
              operationId,
              version: 1,
              position: index + 1,
              // A row written outside the append has no digest: its id is never compared.
              digest: known ? eventDigest(event(id, operationId, null, variant)) : null,
            })),
        ),
      ),
    ),
  )
  .map((pairs) => new Map<string, StoredEventRef>(pairs));

describe('planAppend', () => {
  it('decides merged all-or-nothing units exactly as it would decide them one after another', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbitraryEvent, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        arbitraryHeads,
        arbitraryStored,
        (units, heads, stored) => {
          const merged = plan(
            units.flat(),
            units.map((u) => u.length),
            heads,
            stored,
          );
          const expected = planOneByOne(units, heads, stored);
          let offset = 0;
          for (const [index, unit] of units.entries()) {
            expect(merged.outcomes.slice(offset, offset + unit.length)).toEqual(expected[index]);
            offset += unit.length;
          }
        },
      ),
    );
  });

  it('gives every operation gap-free versions after its head, and writes only appended events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbitraryEvent, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        arbitraryHeads,
        arbitraryStored,
        (units, heads, stored) => {
          const { outcomes, toInsert } = plan(
            units.flat(),
            units.map((u) => u.length),
            heads,
            stored,
          );
          for (const operationId of operationIds) {
            const versions = toInsert.filter((e) => e.operationId === operationId).map((e) => e.version);
            const head = heads.get(operationId) ?? 0;
            expect(versions).toEqual(versions.map((_, i) => head + i + 1));
          }
          expect(toInsert.map((e) => e.id)).toEqual(
            outcomes.filter((o) => o.status === 'appended').map((o) => o.eventId),
          );
          expect(new Set(toInsert.map((e) => e.id)).size).toBe(toInsert.length);
        },
      ),
    );
  });

  it('without units decides each event on its own, as units of one', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryEvent, { maxLength: 12 }),
        arbitraryHeads,
        arbitraryStored,
        (events, heads, stored) => {
          expect(plan(events, undefined, heads, stored)).toEqual(
            plan(
              events,
              events.map(() => 1),
              heads,
              stored,
            ),
          );
        },
      ),
    );
  });

  it('refuses a whole unit with its first conflicting event and leaves the next unit unaffected', () => {
    const heads = new Map([['op-a', 2]]);
    const { outcomes, toInsert } = plan(
      [event('x1', 'op-a'), event('x2', 'op-a', 9), event('y1', 'op-a', 2), event('x1', 'op-a')],
      [2, 2],
      heads,
      none,
    );
    const refusal = {
      status: 'rejected',
      eventId: 'x2',
      operationId: 'op-a',
      headVersion: 3,
      rejection: {
        reason: 'version_conflict',
        field: 'expectedversion',
        detail: 'expectedversion 9 does not match the current version 3 of operation op-a',
      },
    };
    expect(outcomes.slice(0, 2)).toEqual([refusal, refusal]);
    // The refused unit stored nothing: y1 finds version 2, and x1 is new again.
    expect(outcomes.slice(2)).toEqual([
      { status: 'appended', eventId: 'y1', operationId: 'op-a', version: 3, position: 0 },
      { status: 'appended', eventId: 'x1', operationId: 'op-a', version: 4, position: 0 },
    ]);
    expect(toInsert.map((e) => [e.id, e.version])).toEqual([
      ['y1', 3],
      ['x1', 4],
    ]);
  });

  it('reports stored ids as duplicates with their place in the log, skipping their expectedversion', () => {
    const stored = new Map([['old', { operationId: 'op-z', version: 4, position: 77 }]]);
    const { outcomes, toInsert } = plan([event('old', 'op-a', 12)], [1], none, stored);
    expect(outcomes).toEqual([{ status: 'duplicate', eventId: 'old', operationId: 'op-z', version: 4, position: 77 }]);
    expect(toInsert).toEqual([]);
  });

  it('gives a repeat within the append the first copy’s version, and its position once written', () => {
    const planned = plan([event('r', 'op-a'), event('r', 'op-a')], [1, 1], none, none);
    expect(withPositions(planned.outcomes, new Map([['r', 41]]))).toEqual([
      { status: 'appended', eventId: 'r', operationId: 'op-a', version: 1, position: 41 },
      { status: 'duplicate', eventId: 'r', operationId: 'op-a', version: 1, position: 41 },
    ]);
  });

  it('refuses an id stored with other content (id_conflict, naming the stored version), keeps an exact repeat silent', () => {
    const stored = new Map([
      ['e', { operationId: 'op-a', version: 3, position: 30, digest: eventDigest(event('e', 'op-a')) }],
    ]);
    const { outcomes, toInsert } = plan(
      [event('e', 'op-a'), event('e', 'op-a', null, 1), event('e', 'op-b')],
      undefined,
      new Map([['op-a', 5]]),
      stored,
    );
    expect(outcomes[0]).toEqual({ status: 'duplicate', eventId: 'e', operationId: 'op-a', version: 3, position: 30 });
    for (const [index, operationId, headVersion] of [
      [1, 'op-a', 5],
      [2, 'op-b', 0],
    ] as const) {
      expect(outcomes[index]).toEqual({
        status: 'rejected',
        eventId: 'e',
        operationId,
        headVersion,
        conflictsWith: { operationId: 'op-a', version: 3 },
        rejection: {
          reason: 'id_conflict',
          field: 'id',
          detail:
            'event id "e" is already stored as version 3 of operation op-a with other content ' +
            '(type, source, subject, time or data differ); a new event needs a new id',
        },
      });
    }
    expect(toInsert).toEqual([]);
  });

  it('refuses the second of two events with one id and different content in one batch, storing the first', () => {
    const { outcomes, toInsert } = plan(
      [event('twin', 'op-a'), event('twin', 'op-a'), event('twin', 'op-a', null, 1)],
      undefined,
      none,
      none,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['appended', 'duplicate', 'rejected']);
    expect(outcomes[2]).toMatchObject({ rejection: { reason: 'id_conflict' }, conflictsWith: { version: 1 } });
    expect(toInsert.map((e) => [e.id, e.version, e.digest])).toEqual([['twin', 1, eventDigest(event('twin', 'op-a'))]]);
  });

  it('refuses a whole unit (an HTTP request) holding an id twice with different content', () => {
    const { outcomes, toInsert } = plan(
      [event('a1', 'op-a'), event('a1', 'op-a', null, 1), event('b1', 'op-a')],
      [2, 1],
      none,
      none,
    );
    expect(outcomes.slice(0, 2).map((o) => o.status === 'rejected' && o.rejection.reason)).toEqual([
      'id_conflict',
      'id_conflict',
    ]);
    expect(outcomes[2]).toEqual({ status: 'appended', eventId: 'b1', operationId: 'op-a', version: 1, position: 0 });
    expect(toInsert.map((e) => e.id)).toEqual(['b1']);
  });

  it('never stores one id twice, and refuses a reused id exactly when its content differs from the holder', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryEvent, { maxLength: 16 }),
        arbitraryHeads,
        arbitraryStored,
        (events, heads, stored) => {
          const { outcomes, toInsert } = plan(events, undefined, heads, stored);
          expect(toInsert.filter((e) => stored.has(e.id))).toEqual([]);
          expect(new Set(toInsert.map((e) => e.id)).size).toBe(toInsert.length);
          // Each id's holder: the stored event, else the first copy this plan appends.
          const holders = new Map([...stored].map(([id, ref]) => [id, ref.digest ?? null]));
          events.forEach((e, index) => {
            const outcome = outcomes[index];
            const digest = eventDigest(e);
            const holder = holders.get(e.id);
            if (holder === undefined) {
              if (outcome.status === 'appended') holders.set(e.id, digest);
              else expect(outcome).toMatchObject({ rejection: { reason: 'version_conflict' } });
            } else if (holder === null || holder === digest) {
              expect(outcome.status).toBe('duplicate');
            } else {
              expect(outcome).toMatchObject({ status: 'rejected', rejection: { reason: 'id_conflict', field: 'id' } });
            }
          });
        },
      ),
    );
  });

  it('refuses units that do not cover the events', () => {
    expect(() => plan([event('a', 'op-a'), event('b', 'op-a')], [1], none, none)).toThrow(RangeError);
  });
});
