/**
 * CloudEvents `time` is RFC 3339 with any offset and any fractional precision.
 * The projection orders events by time, so every time is brought to one
 * canonical form that sorts correctly as a plain string: UTC, exactly six
 * fractional digits (Postgres `timestamptz` precision, so a value read back
 * from the log compares exactly like the value that was appended).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export type CanonicalTime = string;

export function canonicalTime(input: string): CanonicalTime | null {
  const match = RFC3339.exec(input);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction = '', zone, sign, offH, offM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const micros = (fraction + '000000').slice(0, 6);
  if (zone === 'Z' || zone === 'z') {
    // Already UTC (what almost every producer sends): no Date arithmetic on the ingest hot path.
    if (year < 1 || day > daysInMonth(year, month)) return null;
    return `${y}-${mo}-${d}T${h}:${mi}:${s}.${micros}Z`;
  }
  // Not Date.UTC: it maps years 0-99 to 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  const localMs = check.getTime();
  // Date.UTC silently rolls 2026-02-30 over to March; reject such dates instead.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1 || year < 1) return null;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const oh = Number(offH);
    const om = Number(offM);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(localMs - offsetMinutes * 60_000);
  if (Number.isNaN(utc.getTime()) || utc.getUTCFullYear() > 9999 || utc.getUTCFullYear() < 1) {
    return null;
  }
  return `${utc.toISOString().slice(0, 19)}.${micros}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Canonical form of a Date coming back from Postgres or made by the service itself. */
export function canonicalTimeOfDate(date: Date): CanonicalTime {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

export function elapsedMs(from: CanonicalTime, to: CanonicalTime): number {
  const micro = (t: CanonicalTime) => Date.parse(t.slice(0, 19) + 'Z') * 1000 + Number(t.slice(20, 26));
  return (micro(to) - micro(from)) / 1000;
}
