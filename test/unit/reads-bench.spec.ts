import fc from 'fast-check';
import { extractPlans } from '../../bench/support/auto-explain';
import { judgeRead } from '../../bench/support/read-bar';
import { checkListPages } from '../../bench/workload/read-checks';
import { minuteShifter, storedEventWindows, type StoredEventRow } from '../../bench/workload/growing-event-log';
import { rareOperationEvents, rareOperationId } from '../../bench/workload/rare-operations';
import { eventsOfOperation, operationId, workloadFor } from '../../bench/workload/workload';

function rowsOf(operations: number, firstOperation: number, shiftMs: number): StoredEventRow[] {
  return [...storedEventWindows(workloadFor(operations * 10), firstOperation, shiftMs)].flat();
}

describe('the reads benchmark: a log grown in steps', () => {
  const shiftMs = 7 * 60_000;
  // 2,000 operations, then 3,500 more: the second step starts in the middle of a window of 1,000.
  const first = rowsOf(2000, 0, shiftMs);
  const second = rowsOf(5500, 2000, shiftMs);

  it('stores every event of each step once, and nothing of the operations before the step', () => {
    const expectedIds = (from: number, to: number, windows: number[]) =>
      [
        ...Array.from({ length: to - from }, (_, i) => eventsOfOperation(from + i).map((e) => e.id)).flat(),
        ...windows.flatMap((w) => rareOperationEvents(w).map((e) => e.id)),
      ].sort();
    expect(first.map((r) => r.eventId).sort()).toEqual(expectedIds(0, 2000, [0, 1]));
    expect(second.map((r) => r.eventId).sort()).toEqual(expectedIds(2000, 5500, [2, 3, 4, 5]));
  });

  it('numbers each operation’s versions 1, 2, 3… in the order its events are stored', () => {
    for (const rows of [first, second]) {
      const versions = new Map<string, number>();
      const wrong = rows.filter((row) => {
        const expected = (versions.get(row.operationId) ?? 0) + 1;
        versions.set(row.operationId, expected);
        return row.version !== expected;
      });
      expect(wrong).toEqual([]);
    }
  });

  it('delivers some events after newer ones of their operation (late), as the workload does', () => {
    // Event ids end in -e<n>, n being the event's place in the order things happened.
    const late = first.filter(
      (row) => row.operationId.startsWith('op-') && !row.eventId.endsWith(`-e${row.version - 1}`),
    );
    expect(late.length).toBeGreaterThan(0);
  });

  it('shifts every event time by the given whole minutes', () => {
    const original = new Map(
      Array.from({ length: 2000 }, (_, i) => eventsOfOperation(i))
        .flat()
        .concat(rareOperationEvents(0), rareOperationEvents(1))
        .map((e) => [e.id, e.time]),
    );
    const shifts = new Set(first.map((row) => Date.parse(row.time) - Date.parse(original.get(row.eventId)!)));
    expect([...shifts]).toEqual([shiftMs]);
  });

  it('gives each rare operation a shape of its own', () => {
    const rare = first.filter((row) => row.operationId === rareOperationId(1)).map((row) => row.type);
    expect(rare).toEqual(['operation.created', 'stage.started', 'stage.failed']);
    expect(operationId(12)).toBe('op-0000012');
  });
});

describe('minuteShifter', () => {
  it('shifts like Date arithmetic for any instant and whole-minute shift', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -600_000, max: 600_000 }),
        (date, minutes) => {
          const shift = minuteShifter(minutes * 60_000);
          expect(shift(date.toISOString())).toBe(new Date(date.getTime() + minutes * 60_000).toISOString());
        },
      ),
    );
  });

  it('refuses a shift that is not whole minutes', () => {
    expect(() => minuteShifter(1500)).toThrow(/whole minutes/);
  });
});

describe('judgeRead (issue 14: p95 <= 20 ms at the largest size, <= 2 x p95 at the smallest)', () => {
  const at = (events: number, p95: number | null, outcome: 'ok' | 'missing' | 'error' = 'ok') => ({
    events,
    p95,
    outcome,
  });

  it('meets the bar when fast and flat', () => {
    expect(judgeRead('get', [at(100_000, 2), at(10_000_000, 3.9)])).toMatchObject({ verdict: 'met', growth: 1.95 });
  });

  it('misses on p95 alone, on growth alone, and on both', () => {
    expect(judgeRead('a', [at(100_000, 15), at(10_000_000, 21)])).toMatchObject({
      verdict: 'missed',
      meetsP95: false,
      meetsGrowth: true,
    });
    expect(judgeRead('b', [at(10_000_000, 5), at(100_000, 2)])).toMatchObject({
      verdict: 'missed',
      meetsP95: true,
      meetsGrowth: false,
    });
    expect(judgeRead('c', [at(100_000, 10), at(10_000_000, 400)])).toMatchObject({
      meetsP95: false,
      meetsGrowth: false,
    });
  });

  it('reports a read that is missing or failed at any size instead of judging it', () => {
    expect(judgeRead('s', [at(100_000, null, 'missing'), at(10_000_000, null, 'missing')]).verdict).toBe('missing');
    expect(judgeRead('t', [at(100_000, 3), at(10_000_000, null, 'error')]).verdict).toBe('error');
  });
});

describe('extractPlans', () => {
  it('keeps the entries of the server log that carry a plan, continuation lines included', () => {
    const log = [
      '2026-11-30 16:00:00.000 UTC [123] LOG:  checkpoint starting: time',
      '2026-11-30 16:00:01.000 UTC [124] LOG:  duration: 1.234 ms  plan:',
      '\tQuery Text: SELECT 1',
      '\tResult  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1.00 loops=1)',
      '2026-11-30 16:00:02.000 UTC [124] LOG:  duration: 0.5 ms  plan:',
      '\tQuery Text: SELECT 2',
      '',
    ].join('\n');
    expect(extractPlans(log)).toEqual([
      'duration: 1.234 ms  plan:\nQuery Text: SELECT 1\nResult  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1.00 loops=1)',
      'duration: 0.5 ms  plan:\nQuery Text: SELECT 2',
    ]);
  });
});

describe('checkListPages', () => {
  const page = (items: number, next: boolean) =>
    JSON.stringify({ items: Array(items).fill({}), nextCursor: next ? 'x' : null });

  it('agrees when each page holds min(50, matching) rows and a next page exactly when more match', () => {
    const check = checkListPages([
      { name: 'many', matching: 70_000, body: page(50, true) },
      { name: 'exactly 50', matching: 50, body: page(50, false) },
      { name: 'few', matching: 3, body: page(3, false) },
      { name: 'not a list', matching: null, body: '{}' },
    ]);
    expect(check.agrees).toBe(true);
  });

  it('catches a filter that answers fewer rows than match, or a page that claims more', () => {
    expect(checkListPages([{ name: 'empty index', matching: 15_000, body: page(0, false) }]).agrees).toBe(false);
    expect(checkListPages([{ name: 'next page', matching: 25, body: page(25, true) }]).agrees).toBe(false);
  });
});
