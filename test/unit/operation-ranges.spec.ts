import fc from 'fast-check';
import { rangesAt, splitPoints } from '../../src/replay/operation-ranges';

/** A sorted sample as the database returns it (here, code-point order stands in for its collation). */
const sample = fc
  .array(fc.stringMatching(/^[a-d]{1,3}$/), { maxLength: 200 })
  .map((ids) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

describe('splitting the operation ids of a bulk pass', () => {
  it('cuts a sample into about equal shares at ids drawn from it', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `op-${String(i).padStart(3, '0')}`);
    expect(splitPoints(ids, 4)).toEqual(['op-024', 'op-049', 'op-074']);
    expect(splitPoints(ids, 1)).toEqual([]);
  });

  it('never splits an operation: one that fills the sample gives one point, not several', () => {
    const ids = ['a', ...Array.from({ length: 50 }, () => 'big'), 'z'];
    expect(splitPoints(ids, 4)).toEqual(['big']);
  });

  it('gives no point for an empty sample, and fewer points than asked for a small one', () => {
    expect(splitPoints([], 8)).toEqual([]);
    expect(splitPoints(['a', 'b'], 8)).toEqual(['a']);
  });

  it('refuses a part count that is not a positive integer', () => {
    expect(() => splitPoints(['a'], 0)).toThrow(RangeError);
    expect(() => splitPoints(['a'], 1.5)).toThrow(RangeError);
  });

  it('gives at most parts - 1 points, strictly increasing, each an id of the sample', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 20 }), (ids, parts) => {
        const points = splitPoints(ids, parts);
        expect(points.length).toBeLessThanOrEqual(parts - 1);
        for (const point of points) expect(ids).toContain(point);
        for (let i = 1; i < points.length; i += 1) expect(points[i] > points[i - 1]).toBe(true);
      }),
    );
  });

  it('makes ranges that cover the id space after the start once: every id falls in exactly one', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 20 }), (ids, parts) => {
        const ranges = rangesAt('', splitPoints(ids, parts));
        expect(ranges.map((r) => r.index)).toEqual(ranges.map((_, i) => i));
        expect(ranges[ranges.length - 1].atMost).toBeNull();
        for (const id of ids) {
          const holding = ranges.filter((r) => id > r.after && (r.atMost === null || id <= r.atMost));
          expect(holding).toHaveLength(1);
        }
      }),
    );
  });

  it('starts the first range after where a sequential pass stopped', () => {
    expect(rangesAt('op-5', ['op-7'])).toEqual([
      { index: 0, after: 'op-5', atMost: 'op-7' },
      { index: 1, after: 'op-7', atMost: null },
    ]);
  });
});
