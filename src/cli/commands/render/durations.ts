/** A duration the way an operator reads it: `850 ms`, `2.35 s`, `4 m 05 s`, `1 h 02 m`. */
export function formatDurationMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

/** `2026-11-25T16:00:00.123456Z` → `2026-11-25 16:00:00.123`: what a table has room for. */
export function shortTime(time: string | null): string {
  if (time === null) return '-';
  return time.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1');
}
