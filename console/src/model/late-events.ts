/**
 * A late event was recorded (got its version) after an event of the same operation that happened
 * later (a greater `time`): it arrived out of order. The fold is not fooled by it, but an operator
 * wants to see it. `timeBefore` is the latest time among the versions before the first one given
 * (null when the list starts at version 1).
 */
export function lateFlags(events: readonly { time: string }[], timeBefore: string | null): boolean[] {
  let latest = timeBefore;
  return events.map((event) => {
    const late = latest !== null && event.time < latest;
    if (latest === null || event.time > latest) latest = event.time;
    return late;
  });
}
