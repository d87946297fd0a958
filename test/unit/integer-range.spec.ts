import fc from 'fast-check';
import { checkInteger, INT4_MAX, INTEGER_KINDS, type IntegerRange, rangeMessage } from '../../src/common/integer-range';

const int4: IntegerRange = { minimum: 1, maximum: INT4_MAX, format: 'int32' };
const position = INTEGER_KINDS.position;

describe('checkInteger', () => {
  it.each([
    ['0', position, 0],
    ['1', int4, 1],
    ['2147483647', int4, 2147483647],
    ['0002147483647', int4, 2147483647],
    ['9007199254740991', position, 9007199254740991],
    ['-0', position, 0],
    [42, int4, 42],
  ])('accepts %j in [%j] as %j', (raw, range, value) => {
    expect(checkInteger(raw, range)).toEqual({ ok: true, value });
  });

  it.each([
    ['0', int4],
    ['-1', position],
    ['2147483648', int4],
    ['9007199254740992', position],
    ['9007199254740993', position],
    ['9223372036854775807', position],
    ['18965905600350871552', position],
    ['9'.repeat(5000), position],
    ['-' + '9'.repeat(40), position],
    [1e30, position],
    [2 ** 31, int4],
  ])('refuses %j as out of range', (raw, range) => {
    expect(checkInteger(raw, range)).toEqual({ ok: false, reason: 'out-of-range' });
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '+1',
    '1e3',
    '1.0',
    '0x10',
    'NaN',
    'Infinity',
    '1_000',
    '١',
    '--1',
    null,
    undefined,
    1.5,
    NaN,
  ])('refuses %j as not an integer (Number() would take some of them)', (raw) => {
    expect(checkInteger(raw, position)).toEqual({ ok: false, reason: 'not-an-integer' });
  });

  it('property: a decimal string is in range exactly when its exact value is, and then parses to it', () => {
    const ranges = fc.constantFrom<IntegerRange>(int4, position, INTEGER_KINDS.seenVersion, {
      minimum: 1,
      maximum: 1000,
      format: 'int32',
    });
    const big = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.bigInt({ min: -3n, max: 3n }),
      fc.constantFrom(
        2n ** 31n - 2n,
        2n ** 31n - 1n,
        2n ** 31n,
        2n ** 53n - 2n,
        2n ** 53n - 1n,
        2n ** 53n,
        2n ** 53n + 1n,
      ),
    );
    fc.assert(
      fc.property(ranges, big, fc.nat({ max: 3 }), (range, n, zeros) => {
        const digits = (n < 0n ? -n : n).toString();
        const raw = `${n < 0n ? '-' : ''}${'0'.repeat(zeros)}${digits}`;
        const inRange = n >= BigInt(range.minimum) && n <= BigInt(range.maximum);
        expect(checkInteger(raw, range)).toEqual(
          inRange ? { ok: true, value: Number(n) } : { ok: false, reason: 'out-of-range' },
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('names the parameter and the range in one sentence', () => {
    expect(rangeMessage('atVersion', INTEGER_KINDS.version)).toBe('atVersion must be an integer from 1 to 2147483647');
  });
});
