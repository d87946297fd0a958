import type { OperationEvent } from '../../src/envelope/operation-event';
import type { AppendOutcome } from '../../src/event-store/event-store.service';
import { AppendCoalescer } from '../../src/ingest/append-coalescer';

const event = (id: string): OperationEvent =>
  ({
    id,
    operationId: `op-${id}`,
    type: 'custom.noted',
    source: 's',
    time: '2026-01-01T00:00:00.000000Z',
    data: null,
    expectedVersion: null,
  }) as OperationEvent;

const appended = (e: OperationEvent, version = 1): AppendOutcome => ({
  status: 'appended',
  eventId: e.id,
  operationId: e.operationId,
  version,
  position: 1,
});

/** An append stand-in that records each call and answers when told to. */
function controllableAppend() {
  const calls: { events: OperationEvent[]; finish: (error?: unknown) => void }[] = [];
  const append = (events: OperationEvent[]) =>
    new Promise<AppendOutcome[]>((resolve, reject) => {
      calls.push({ events, finish: (error) => (error ? reject(error) : resolve(events.map((e) => appended(e)))) });
    });
  return { calls, append };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Lets the event loop turn until `done` holds (a bounded number of turns, no timers). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn += 1) await nextTurn();
  expect(done()).toBe(true);
}

describe('AppendCoalescer', () => {
  it('merges chunks handed in during one turn into one append and gives each caller its own outcomes', async () => {
    const { calls, append } = controllableAppend();
    const coalescer = new AppendCoalescer(append, { maxEvents: 100, maxInFlight: 2 });
    const first = coalescer.append([event('a1'), event('a2')]);
    const second = coalescer.append([event('b1')]);
    const third = coalescer.append([event('c1'), event('c2'), event('c3')]);
    await nextTurn();

    expect(calls.map((c) => c.events.map((e) => e.id))).toEqual([['a1', 'a2', 'b1', 'c1', 'c2', 'c3']]);
    calls[0].finish();
    expect((await first).map((o) => o.eventId)).toEqual(['a1', 'a2']);
    expect((await second).map((o) => o.eventId)).toEqual(['b1']);
    expect((await third).map((o) => o.eventId)).toEqual(['c1', 'c2', 'c3']);
  });

  it('keeps a merged append within maxEvents and runs at most maxInFlight appends at once', async () => {
    const { calls, append } = controllableAppend();
    const coalescer = new AppendCoalescer(append, { maxEvents: 3, maxInFlight: 2 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((p) => coalescer.append([event(`${p}1`), event(`${p}2`)]));
    await nextTurn();

    expect(calls.map((c) => c.events.length)).toEqual([2, 2]);
    calls[0].finish();
    await results[0];
    await turnsUntil(() => calls.length === 3);
    await nextTurn();
    expect(calls.map((c) => c.events.length)).toEqual([2, 2, 2]);
    calls[1].finish();
    calls[2].finish();
    await Promise.all(results.slice(1, 3));
    await turnsUntil(() => calls.length === 5);
    expect(calls.map((c) => c.events.length)).toEqual([2, 2, 2, 2, 2]);
    calls[3].finish();
    calls[4].finish();
    await Promise.all(results);
  });

  it('hands a transient failure to every caller of the merged append', async () => {
    const { calls, append } = controllableAppend();
    const coalescer = new AppendCoalescer(append, { maxEvents: 100, maxInFlight: 1 });
    const first = coalescer.append([event('a1')]);
    const second = coalescer.append([event('b1')]);
    await nextTurn();
    calls[0].finish(Object.assign(new Error('connection lost'), { code: 'ECONNRESET' }));

    await expect(first).rejects.toThrow('connection lost');
    await expect(second).rejects.toThrow('connection lost');
    expect(calls).toHaveLength(1);
  });

  it('retries each chunk alone after a refusal that is not transient, so only the culprit chunk fails', async () => {
    const refused = Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });
    const seen: string[][] = [];
    const coalescer = new AppendCoalescer(
      async (events) => {
        seen.push(events.map((e) => e.id));
        if (events.some((e) => e.id === 'bad')) throw refused;
        return events.map((e) => appended(e));
      },
      { maxEvents: 100, maxInFlight: 2 },
    );
    const good = coalescer.append([event('a1'), event('a2')]);
    const bad = coalescer.append([event('b1'), event('bad')]);

    expect((await good).map((o) => o.eventId)).toEqual(['a1', 'a2']);
    await expect(bad).rejects.toBe(refused);
    expect(seen).toEqual([
      ['a1', 'a2', 'b1', 'bad'],
      ['a1', 'a2'],
      ['b1', 'bad'],
    ]);
  });

  it('retries each chunk alone after a write conflict, so a chunk that keeps colliding holds up only its partition', async () => {
    const conflict = Object.assign(new Error('operation(s) changed since they were read'), { code: '40001' });
    const seen: string[][] = [];
    const coalescer = new AppendCoalescer(
      async (events) => {
        seen.push(events.map((e) => e.id));
        if (events.some((e) => e.id === 'stuck')) throw conflict;
        return events.map((e) => appended(e));
      },
      { maxEvents: 100, maxInFlight: 2 },
    );
    const stuck = coalescer.append([event('stuck')]);
    const other = coalescer.append([event('b1')]);

    await expect(stuck).rejects.toBe(conflict);
    expect((await other).map((o) => o.eventId)).toEqual(['b1']);
    expect(seen).toEqual([['stuck', 'b1'], ['stuck'], ['b1']]);
  });
});
