import type { OperationEvent } from './operation-event';
import type { Rejection } from './parse-cloud-event';

/**
 * The fold trusts `time` (docs/consistency.md): an event stamped far in the
 * future would win every comparison of its stage or operation until that
 * instant. So an event more than `maxSkewMs` ahead of opledger's clock is
 * refused (`time_in_future`); 0 turns the check off. Pure: the caller passes
 * the clock.
 */
export function checkClockSkew(
  event: Pick<OperationEvent, 'time'>,
  nowMs: number,
  maxSkewMs: number,
): Rejection | null {
  if (maxSkewMs <= 0) return null;
  // Canonical times are UTC with microseconds; milliseconds are precise enough for a bound in minutes.
  const aheadMs = Date.parse(event.time.slice(0, 23) + 'Z') - nowMs;
  if (!(aheadMs > maxSkewMs)) return null;
  return {
    reason: 'time_in_future',
    field: 'time',
    detail:
      `time ${event.time} is ${formatDuration(aheadMs)} ahead of opledger's clock ` +
      `(${new Date(nowMs).toISOString()}), more than the ${formatDuration(maxSkewMs)} allowed (MAX_CLOCK_SKEW)`,
  };
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${Number(seconds.toFixed(1))} s`;
  const minutes = seconds / 60;
  if (minutes < 120) return `${Number(minutes.toFixed(1))} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${Number(hours.toFixed(1))} h`;
  return `${Number((hours / 24).toFixed(1))} days`;
}
