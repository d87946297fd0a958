import fc from 'fast-check';
import { canonicalTime, canonicalTimeOfDate, elapsedMs } from '../../src/envelope/event-time';

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Formats an instant (epoch ms plus 0–999 extra microseconds) as RFC 3339 in the given UTC offset. */
function formatWithOffset(epochMs: number, extraMicros: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}${String(extraMicros).padStart(3, '0')}${offset}`;
}

const dateArb = fc.date({
  min: new Date('1970-01-01T00:00:00.000Z'),
  max: new Date('2100-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});
const offsetArb = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
const microsArb = fc.integer({ min: 0, max: 999 });

describe('canonicalTime', () => {
  describe('accepts RFC 3339 timestamps and returns UTC with six fractional digits', () => {
    it.each([
      ['upper-case Z', '2026-03-04T05:06:07Z', '2026-03-04T05:06:07.000000Z'],
      ['lower-case z', '2026-03-04T05:06:07z', '2026-03-04T05:06:07.000000Z'],
      ['lower-case t separator', '2026-03-04t05:06:07Z', '2026-03-04T05:06:07.000000Z'],
      ['positive half-hour offset +05:30', '2026-03-04T10:36:07+05:30', '2026-03-04T05:06:07.000000Z'],
      ['negative offset -08:00', '2026-03-03T21:06:07-08:00', '2026-03-04T05:06:07.000000Z'],
      ['+00:00 offset', '2026-03-04T05:06:07+00:00', '2026-03-04T05:06:07.000000Z'],
      ['-00:00 offset', '2026-03-04T05:06:07-00:00', '2026-03-04T05:06:07.000000Z'],
      [
        'offset that moves the instant to the previous year',
        '2026-01-01T02:00:00+05:30',
        '2025-12-31T20:30:00.000000Z',
      ],
      ['offset that moves the instant to the next day', '2026-02-28T20:00:00-08:00', '2026-03-01T04:00:00.000000Z'],
      ['last second of a day', '2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000000Z'],
      ['Feb 29 of a leap year', '2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000000Z'],
      ['Feb 29 of a 400-year leap year', '2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000000Z'],
      ['the Unix epoch', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000000Z'],
      ['the last representable instant', '9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
    ])('%s', (_name, input, expected) => {
      expect(canonicalTime(input)).toBe(expected);
    });
  });

  describe('fractional seconds', () => {
    it.each([
      ['', '000000'],
      ['.1', '100000'],
      ['.12', '120000'],
      ['.123', '123000'],
      ['.1234', '123400'],
      ['.12345', '123450'],
      ['.123456', '123456'],
      ['.1234567', '123456'],
      ['.12345678', '123456'],
      ['.123456789', '123456'],
    ])('fraction "%s" becomes .%s', (fraction, micros) => {
      expect(canonicalTime(`2026-03-04T05:06:07${fraction}Z`)).toBe(`2026-03-04T05:06:07.${micros}Z`);
    });

    it('truncates to microseconds instead of rounding (no carry into the next second)', () => {
      expect(canonicalTime('2026-12-31T23:59:59.9999999Z')).toBe('2026-12-31T23:59:59.999999Z');
    });

    it('keeps the fraction unchanged when an offset is applied', () => {
      expect(canonicalTime('2026-03-04T10:36:07.000001+05:30')).toBe('2026-03-04T05:06:07.000001Z');
    });
  });

  describe('rejects input that is not a valid RFC 3339 timestamp', () => {
    it.each([
      ['no zone designator', '2026-03-04T05:06:07'],
      ['no zone designator with fraction', '2026-03-04T05:06:07.123'],
      ['Feb 30', '2026-02-30T00:00:00Z'],
      ['Feb 29 of a non-leap year', '2023-02-29T00:00:00Z'],
      ['Feb 29 of a century that is not a leap year', '2100-02-29T00:00:00Z'],
      ['Apr 31', '2026-04-31T00:00:00Z'],
      ['day 00', '2026-03-00T00:00:00Z'],
      ['day 32', '2026-01-32T00:00:00Z'],
      ['hour 24', '2026-03-04T24:00:00Z'],
      ['minute 60', '2026-03-04T05:60:00Z'],
      ['month 13', '2026-13-01T00:00:00Z'],
      ['month 00', '2026-00-01T00:00:00Z'],
      ['year 0000', '0000-01-01T00:00:00Z'],
      ['space instead of T', '2026-03-04 05:06:07Z'],
      ['leading space', ' 2026-03-04T05:06:07Z'],
      ['trailing space', '2026-03-04T05:06:07Z '],
      ['trailing newline', '2026-03-04T05:06:07Z\n'],
      ['date only', '2026-03-04'],
      ['time only', '05:06:07Z'],
      ['single-digit month and day', '2026-3-4T05:06:07Z'],
      ['missing seconds', '2026-03-04T05:06Z'],
      ['dot without fraction digits', '2026-03-04T05:06:07.Z'],
      ['ten fraction digits', '2026-03-04T05:06:07.1234567890Z'],
      ['comma as decimal separator', '2026-03-04T05:06:07,123Z'],
      ['offset without colon', '2026-03-04T05:06:07+0530'],
      ['offset hours only', '2026-03-04T05:06:07+05'],
      ['offset hour 24', '2026-03-04T05:06:07+24:00'],
      ['offset minute 60', '2026-03-04T05:06:07+05:60'],
      ['UTC as a word', '2026-03-04T05:06:07 UTC'],
      ['Unicode digits', '２０２６-03-04T05:06:07Z'],
      ['garbage', 'yesterday at noon'],
      ['empty string', ''],
      ['an instant after year 9999 once the offset is applied', '9999-12-31T23:00:00-02:00'],
    ])('%s: %j', (_name, input) => {
      expect(canonicalTime(input)).toBeNull();
    });
  });

  describe('offset normalisation', () => {
    it('maps one instant written in several offsets to one canonical string', () => {
      const forms = [
        '2026-06-30T23:30:00.5Z',
        '2026-07-01T05:00:00.500+05:30',
        '2026-06-30T15:30:00.500000-08:00',
        '2026-07-01T01:30:00.5+02:00',
        '2026-06-30t23:30:00.500000000z',
      ];
      const canonical = forms.map((form) => canonicalTime(form));
      expect(new Set(canonical)).toEqual(new Set(['2026-06-30T23:30:00.500000Z']));
    });

    it('property: any offset denotes the same instant as the UTC form', () => {
      fc.assert(
        fc.property(dateArb, microsArb, offsetArb, (date, micros, offset) => {
          const expected = `${date.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
          expect(canonicalTime(formatWithOffset(date.getTime(), micros, offset))).toBe(expected);
        }),
      );
    });
  });

  it('property: canonical strings sort in the same order as the instants they denote', () => {
    const instantArb = fc.record({ date: dateArb, micros: microsArb, offset: offsetArb });
    fc.assert(
      fc.property(instantArb, instantArb, (a, b) => {
        const ca = canonicalTime(formatWithOffset(a.date.getTime(), a.micros, a.offset));
        const cb = canonicalTime(formatWithOffset(b.date.getTime(), b.micros, b.offset));
        expect(ca).toMatch(CANONICAL);
        expect(cb).toMatch(CANONICAL);
        const instantOrder = Math.sign(a.date.getTime() * 1000 + a.micros - (b.date.getTime() * 1000 + b.micros));
        const stringOrder = ca! < cb! ? -1 : ca! > cb! ? 1 : 0;
        expect(stringOrder).toBe(instantOrder);
      }),
    );
  });

  it('property: sorting many canonical strings gives chronological order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ date: dateArb, offset: offsetArb }), { maxLength: 30 }), (items) => {
        const byString = items
          .map((item) => ({
            t: item.date.getTime(),
            c: canonicalTime(formatWithOffset(item.date.getTime(), 0, item.offset))!,
          }))
          .sort((x, y) => (x.c < y.c ? -1 : x.c > y.c ? 1 : 0))
          .map((x) => x.t);
        const chronological = items.map((item) => item.date.getTime()).sort((x, y) => x - y);
        expect(byString).toEqual(chronological);
      }),
    );
  });
});

describe('canonicalTimeOfDate', () => {
  it('pads millisecond precision to six fractional digits in UTC', () => {
    expect(canonicalTimeOfDate(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 123)))).toBe('2026-01-02T03:04:05.123000Z');
  });

  it('formats the epoch', () => {
    expect(canonicalTimeOfDate(new Date(0))).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('property: agrees with canonicalTime of the same instant written in any offset', () => {
    fc.assert(
      fc.property(dateArb, offsetArb, (date, offset) => {
        expect(canonicalTimeOfDate(date)).toBe(canonicalTime(formatWithOffset(date.getTime(), 0, offset)));
      }),
    );
  });
});

describe('elapsedMs', () => {
  it('returns milliseconds between two canonical times', () => {
    expect(elapsedMs('2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:01.500000Z')).toBe(1500);
  });

  it('keeps microsecond resolution as a fraction of a millisecond', () => {
    expect(elapsedMs('2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000001Z')).toBeCloseTo(0.001, 9);
    expect(elapsedMs('2026-01-01T00:00:00.999999Z', '2026-01-01T00:00:01.000000Z')).toBeCloseTo(0.001, 9);
  });

  it('is negative when the second time is earlier', () => {
    expect(elapsedMs('2026-01-01T00:00:01.000000Z', '2026-01-01T00:00:00.000000Z')).toBe(-1000);
  });

  it('is zero for equal times', () => {
    expect(elapsedMs('2026-05-05T05:05:05.555555Z', '2026-05-05T05:05:05.555555Z')).toBe(0);
  });

  it('counts across a leap day', () => {
    expect(elapsedMs('2024-02-28T00:00:00.000000Z', '2024-03-01T00:00:00.000000Z')).toBe(2 * 86_400_000);
  });

  it('property: equals the difference of the instants, whatever offsets they were written in', () => {
    const instantArb = fc.record({ date: dateArb, micros: microsArb, offset: offsetArb });
    fc.assert(
      fc.property(instantArb, instantArb, (a, b) => {
        const from = canonicalTime(formatWithOffset(a.date.getTime(), a.micros, a.offset))!;
        const to = canonicalTime(formatWithOffset(b.date.getTime(), b.micros, b.offset))!;
        const expectedMicros = b.date.getTime() * 1000 + b.micros - (a.date.getTime() * 1000 + a.micros);
        expect(Math.round(elapsedMs(from, to) * 1000)).toBe(expectedMicros);
        expect(elapsedMs(to, from) + elapsedMs(from, to)).toBe(0);
      }),
    );
  });
});

describe('canonicalTime: years before 100', () => {
  it('keeps years 1 to 99 as written (Date.UTC would move them to the 1900s)', () => {
    expect(canonicalTime('0050-06-15T12:00:00Z')).toBe('0050-06-15T12:00:00.000000Z');
  });

  it('refuses an instant that an offset moves before year 1', () => {
    expect(canonicalTime('0001-01-01T00:30:00+01:00')).toBeNull();
  });
});
