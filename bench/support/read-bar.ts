/**
 * Issue 14's bar for operator reads, judged per read: at the largest size every
 * read's p95 is at most 20 ms, and its p95 at the largest size is at most twice
 * its p95 at the smallest (the read does not grow with the log).
 */
export const READ_BAR = { p95AtMostMs: 20, growthAtMost: 2 } as const;

export interface ReadAtSize {
  events: number;
  outcome: 'ok' | 'missing' | 'error';
  p95: number | null;
}

export interface ReadVerdict {
  read: string;
  smallestEvents: number;
  largestEvents: number;
  p95Smallest: number | null;
  p95Largest: number | null;
  /** p95 at the largest size / p95 at the smallest. */
  growth: number | null;
  meetsP95: boolean;
  meetsGrowth: boolean;
  /** 'met', 'missed' (timed, outside the bar) or the reason it could not be judged ('missing', 'error'). */
  verdict: 'met' | 'missed' | 'missing' | 'error';
}

export function judgeRead(read: string, sizes: ReadAtSize[]): ReadVerdict {
  const ordered = [...sizes].sort((a, b) => a.events - b.events);
  const smallest = ordered[0];
  const largest = ordered[ordered.length - 1];
  const base = {
    read,
    smallestEvents: smallest.events,
    largestEvents: largest.events,
    p95Smallest: smallest.p95,
    p95Largest: largest.p95,
  };
  const failed = ordered.find((size) => size.outcome !== 'ok');
  if (failed || smallest.p95 === null || largest.p95 === null) {
    return {
      ...base,
      growth: null,
      meetsP95: false,
      meetsGrowth: false,
      verdict: failed?.outcome === 'missing' ? 'missing' : 'error',
    };
  }
  const growth = largest.p95 / smallest.p95;
  const meetsP95 = largest.p95 <= READ_BAR.p95AtMostMs;
  const meetsGrowth = growth <= READ_BAR.growthAtMost;
  return { ...base, growth, meetsP95, meetsGrowth, verdict: meetsP95 && meetsGrowth ? 'met' : 'missed' };
}
