import type { AppendOutcome } from '../../src/event-store/event-store.service';
import { Coalescer } from '../../src/ingest/append-coalescer';
import { splitByRequest } from '../../src/ingest/http/request-outcomes';

const appended = (eventId: string, version: number): AppendOutcome => ({
  status: 'appended',
  eventId,
  operationId: 'op',
  version,
  position: version * 10,
});
const refusal: AppendOutcome = {
  status: 'rejected',
  eventId: 'b2',
  operationId: 'op',
  headVersion: 1,
  rejection: { reason: 'version_conflict', field: 'expectedversion', detail: 'expectedversion 5 does not match' },
};

describe('splitByRequest', () => {
  it('gives each request its own outcomes, or its refusal when its unit was refused', () => {
    const outcomes = [appended('a1', 1), refusal, refusal, appended('c1', 2)];
    expect(splitByRequest(outcomes, [1, 2, 1])).toEqual([
      { status: 'stored', outcomes: [appended('a1', 1)] },
      { status: 'refused', rejected: refusal },
      { status: 'stored', outcomes: [appended('c1', 2)] },
    ]);
  });

  it('refuses outcomes that do not match the requests', () => {
    expect(() => splitByRequest([appended('a1', 1)], [1, 1])).toThrow(RangeError);
  });
});

describe('Coalescer isolating requests all at once', () => {
  it('retries every member of a failed merged append alone and at the same time, failing only the culprit', async () => {
    const unstorable = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
    const started: string[][] = [];
    const pending: (() => void)[] = [];
    const coalescer = new Coalescer<string[], string>(
      {
        size: (ids) => ids.length,
        merged: async (items) => {
          started.push(items.flat());
          throw unstorable;
        },
        alone: (ids) =>
          new Promise((resolve, reject) => {
            started.push(ids);
            pending.push(() => (ids.includes('bad') ? reject(unstorable) : resolve(ids.join('+'))));
          }),
        isolate: 'all-at-once',
      },
      { maxEvents: 100, maxInFlight: 1 },
    );
    const results = [coalescer.submit(['a']), coalescer.submit(['bad', 'b']), coalescer.submit(['c'])];
    for (let turn = 0; turn < 100 && pending.length < 3; turn += 1) await new Promise((r) => setImmediate(r));

    // All three retries were under way before any of them finished.
    expect(started).toEqual([['a', 'bad', 'b', 'c'], ['a'], ['bad', 'b'], ['c']]);
    pending.forEach((finish) => finish());
    await expect(results[0]).resolves.toBe('a');
    await expect(results[1]).rejects.toBe(unstorable);
    await expect(results[2]).resolves.toBe('c');
  });
});
