import fc from 'fast-check';
import { checkClockSkew } from '../../src/envelope/clock-skew';
import { canonicalJson, eventDigest } from '../../src/envelope/event-digest';
import { canonicalTime } from '../../src/envelope/event-time';
import { rateLimitClass } from '../../src/auth/rate-limits';

const NOW = Date.parse('2026-11-25T16:00:00.000Z');
const at = (offsetMs: number) => canonicalTime(new Date(NOW + offsetMs).toISOString())!;
const FIVE_MINUTES = 5 * 60_000;

describe('checkClockSkew', () => {
  it.each([
    ['an hour behind', -3_600_000, false],
    ['now', 0, false],
    ['a minute ahead', 60_000, false],
    ['exactly the skew ahead', FIVE_MINUTES, false],
    ['a millisecond past the skew', FIVE_MINUTES + 1, true],
    ['an hour ahead', 3_600_000, true],
  ])('%s (%i ms): refused %s', (_, offset, refused) => {
    const rejection = checkClockSkew({ time: at(offset) }, NOW, FIVE_MINUTES);
    expect(rejection !== null).toBe(refused);
    if (rejection) expect(rejection).toMatchObject({ reason: 'time_in_future', field: 'time' });
  });

  it('names the distance, the clock and the limit', () => {
    expect(checkClockSkew({ time: at(3_600_000) }, NOW, FIVE_MINUTES)?.detail).toBe(
      "time 2026-11-25T17:00:00.000000Z is 60 min ahead of opledger's clock (2026-11-25T16:00:00.000Z), " +
        'more than the 5 min allowed (MAX_CLOCK_SKEW)',
    );
  });

  it('is off with a skew of 0, even for the last representable instant', () => {
    expect(checkClockSkew({ time: '9999-12-31T23:59:59.999999Z' }, NOW, 0)).toBeNull();
    expect(checkClockSkew({ time: '9999-12-31T23:59:59.999999Z' }, NOW, FIVE_MINUTES)?.reason).toBe('time_in_future');
  });
});

describe('eventDigest', () => {
  const base = {
    type: 'stage.started',
    source: 'svc/a',
    operationId: 'op-1',
    time: '2026-01-01T00:00:00.000000Z',
    data: { stage: 's', nested: { b: [1, { y: 2, x: null }], a: 'é' } } as Record<string, unknown>,
  };

  it('is pinned: stored digests stay valid only while the canonical form and the hash never change', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: 1.5, u: undefined })).toBe(
      '{"a":1.5,"b":[1,{"c":"x","d":null}]}',
    );
    expect(
      eventDigest({
        type: 'stage.started',
        source: 'svc/a',
        operationId: 'op-1',
        time: '2026-01-01T00:00:00.000000Z',
        data: { stage: 's', n: [1, { b: null, a: 'é' }] },
      }),
    ).toBe('fWJnSYbYK7Sb99/+OCSwdPvQvL1MT6+efRghamP4wu8=');
  });

  it('is the same for the same content whatever the order of the keys of data', () => {
    const reordered = { ...base, data: { nested: { a: 'é', b: [1, { x: null, y: 2 }] }, stage: 's' } };
    expect(eventDigest(reordered)).toBe(eventDigest(base));
  });

  it.each([
    ['type', { type: 'stage.completed' }],
    ['source', { source: 'svc/b' }],
    ['subject', { operationId: 'op-2' }],
    ['time', { time: '2026-01-01T00:00:00.000001Z' }],
    ['data', { data: { stage: 's' } }],
    ['data absent', { data: null }],
    ['an array order in data', { data: { ...base.data, nested: { a: 'é', b: [{ y: 2, x: null }, 1] } } }],
  ])('changes with %s', (_, change) => {
    expect(eventDigest({ ...base, ...change })).not.toBe(eventDigest(base));
  });

  it('property: equal for any key permutation, different for any other value', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (data) => {
        const shuffled = Object.fromEntries(Object.entries(data).reverse());
        expect(canonicalJson(shuffled)).toBe(canonicalJson(data));
        // Canonical JSON is JSON: it reads back as the same value.
        expect(JSON.parse(canonicalJson(data))).toEqual(JSON.parse(JSON.stringify(data)));
        expect(eventDigest({ ...base, data })).toBe(eventDigest({ ...base, data: shuffled }));
      }),
    );
  });
});

describe('rateLimitClass', () => {
  it.each([
    ['POST', '/v1/operations/:id/events', 'appends'],
    ['GET', '/v1/operations/:id/events', 'reads'],
    ['GET', '/v1/operations/:id', 'reads'],
    ['GET', '/v1/events/watch', 'reads'],
    ['POST', '/v1/dead-letters/republish', 'reads'],
    ['GET', '/health/live', null],
    ['GET', '/health/ready', null],
    ['GET', '/metrics', null],
    ['GET', '/docs-json', null],
    ['GET', '/console/*', null],
    ['GET', undefined, null],
  ])('%s %s counts against %s', (method, route, expected) => {
    expect(rateLimitClass(method, route)).toBe(expected);
  });
});
