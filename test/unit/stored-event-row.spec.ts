import fc from 'fast-check';
import { canonicalOfTimestampText } from '../../src/event-store/log/stored-event-row';

/** How Postgres prints a timestamp with DateStyle ISO: the fraction's trailing zeros dropped, no fraction at all for .000000. */
function printedByPostgres(date: string, time: string, micros: number): string {
  const fraction = String(micros).padStart(6, '0').replace(/0+$/, '');
  return `${date} ${time}${fraction ? `.${fraction}` : ''}`;
}

describe('canonical times from timestamps as Postgres prints them', () => {
  it('pads the fraction to six digits and marks UTC', () => {
    expect(canonicalOfTimestampText('2026-01-01 00:00:00.198')).toBe('2026-01-01T00:00:00.198000Z');
    expect(canonicalOfTimestampText('2026-01-01 23:59:59')).toBe('2026-01-01T23:59:59.000000Z');
    expect(canonicalOfTimestampText('0001-01-01 00:00:00.000001')).toBe('0001-01-01T00:00:00.000001Z');
  });

  it('gives the canonical form of any time from year 1 to 9999, whatever its fraction', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        (date, micros) => {
          const iso = date.toISOString();
          const canonical = `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
          expect(canonicalOfTimestampText(printedByPostgres(iso.slice(0, 10), iso.slice(11, 19), micros))).toBe(
            canonical,
          );
        },
      ),
    );
  });

  it('refuses the forms of other DateStyles and years no canonical time has (the scan then asks Postgres for it)', () => {
    for (const text of [
      '01/01/2026 00:00:00.198', // SQL
      'Thu Jan 01 00:00:00.198 2026', // Postgres
      '01.01.2026 00:00:00.198', // German
      '2026-01-01T00:00:00.198', // not how Postgres prints it
      '0001-01-01 00:00:00 BC',
      '12026-01-01 00:00:00',
      '2026-01-01 00:00:00.1234567',
    ]) {
      expect(canonicalOfTimestampText(text)).toBeNull();
    }
  });
});
