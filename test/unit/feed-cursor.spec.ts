import fc from 'fast-check';
import {
  compareFeedCursors,
  encodeFeedCursor,
  FEED_CURSOR_PATTERN,
  FEED_START,
  FEED_XID_MAX,
  type FeedCursor,
  parseFeedCursor,
} from '../../src/contract/feed-cursor';

const cursor = fc.record({
  xid: fc.bigInt({ min: 1n, max: FEED_XID_MAX }),
  position: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

describe('feed cursor', () => {
  it('reads back what it writes, and what it writes matches the published pattern', () => {
    fc.assert(
      fc.property(cursor, (c: FeedCursor) => {
        const text = encodeFeedCursor(c);
        expect(text).toMatch(new RegExp(FEED_CURSOR_PATTERN));
        expect(parseFeedCursor(text)).toEqual({ kind: 'cursor', cursor: c });
      }),
    );
  });

  it('writes the start as 0, which reads back as the bare position 0', () => {
    expect(encodeFeedCursor(FEED_START)).toBe('0');
    expect(parseFeedCursor('0')).toEqual({ kind: 'position', position: 0 });
  });

  it('orders by transaction id first, then position', () => {
    fc.assert(
      fc.property(cursor, cursor, (a, b) => {
        const order = compareFeedCursors(a, b);
        expect(Math.sign(order)).toBe(-Math.sign(compareFeedCursors(b, a)));
        if (a.xid !== b.xid) expect(order < 0).toBe(a.xid < b.xid);
        else expect(Math.sign(order)).toBe(Math.sign(a.position - b.position));
      }),
    );
    // Not the text order: 999 < 1000 as transaction ids.
    expect(compareFeedCursors({ xid: 999n, position: 5 }, { xid: 1000n, position: 1 })).toBeLessThan(0);
  });

  it('accepts a bare position up to 2^53 - 1', () => {
    expect(parseFeedCursor('9007199254740991')).toEqual({ kind: 'position', position: Number.MAX_SAFE_INTEGER });
    expect(parseFeedCursor('1042')).toEqual({ kind: 'position', position: 1042 });
  });

  it.each([
    '',
    '-1',
    '+5',
    '1.5',
    '1e3',
    ' 7',
    '9007199254740992',
    '18965905600350871552',
    '12:',
    ':12',
    '1:2:3',
    '9223372036854775808:1',
    '1:9007199254740992',
    'abc',
  ])('refuses %j', (raw) => {
    expect(parseFeedCursor(raw)).toEqual({ kind: 'invalid' });
  });
});
