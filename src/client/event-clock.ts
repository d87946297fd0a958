/**
 * Event times for one producer. The projection orders a stage's events by
 * (time, id), and ids are random, so two events of a fast stage stamped in the
 * same millisecond could be ordered backwards (a `stage.started` winning over
 * its `stage.completed`). This clock stamps microseconds and never repeats or
 * goes back (not even when the wall clock does), so the events one client
 * sends are ordered as it sent them.
 */
export class EventClock {
  private lastMicros = 0;

  constructor(private readonly nowMicros: () => number = wallClockMicros) {}

  /** The next time as RFC 3339 with six fractional digits (the log's precision), UTC. */
  next(): string {
    const micros = Math.max(this.nowMicros(), this.lastMicros + 1);
    this.lastMicros = micros;
    return formatMicros(micros);
  }
}

function wallClockMicros(): number {
  // The wall clock, not performance.now(): that one drifts from it in a long-running process.
  // Order within a millisecond comes from the +1 µs rule in next().
  return Date.now() * 1000;
}

export function formatMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const fraction = String(micros - millis * 1000).padStart(3, '0');
  return `${new Date(millis).toISOString().slice(0, 23)}${fraction}Z`;
}

/** A caller's own time (for a late or back-dated event) as RFC 3339. */
export function timeOf(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString();
}
