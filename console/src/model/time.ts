/** Times as the API sends them: RFC 3339 UTC with microseconds (2026-11-25T16:00:00.123456Z). */

/** Milliseconds since the epoch, keeping the microseconds as a fraction. */
export function toMs(time: string): number {
  const whole = Date.parse(`${time.slice(0, 19)}Z`);
  const fraction = /\.(\d+)/.exec(time)?.[1] ?? '';
  return whole + Number(`0.${fraction || '0'}`) * 1000;
}

/** A duration the way an operator reads it: `850 ms`, `2.35 s`, `4 m 05 s`, `1 h 02 m`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
  return `${Math.floor(minutes / 1440)} d ${String(Math.floor((minutes % 1440) / 60)).padStart(2, '0')} h`;
}

/** `2026-11-25T16:00:00.123456Z` → `2026-11-25 16:00:00.123` (UTC, what a table has room for). */
export function shortTime(time: string | null): string {
  if (time === null) return '–';
  return time.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1');
}

/** How long ago, coarsely: `4 s ago`, `3 m ago`, `2 h ago`, `5 d ago`. */
export function ago(time: string, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - toMs(time)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `100ms`, `1.5s`, `2m` → milliseconds; null for anything else (the URL's collapseBelow). */
export function parseDuration(text: string | null): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec((text ?? '').trim());
  return match ? Number(match[1]) * UNITS[match[2]] : null;
}
