/**
 * How a bulk pass splits the log's operation-id space between its pipelines.
 * Pure: the sample and the bounds come from the database, already in its
 * collation's order, and are never compared here (JavaScript's string order
 * is not the database's).
 */

/** Operations whose id sorts after `after` and at or before `atMost` (null: no upper bound). */
export interface OperationRange {
  index: number;
  /** Exclusive lower bound; '' sorts before every operation id. */
  after: string;
  atMost: string | null;
}

/**
 * Up to `parts - 1` split points cutting `sortedSample` (ids in the database's order, one per
 * sampled event, so an operation with many events weighs as much as it costs) into about equal
 * shares. Consecutive equal points are kept once, so the points strictly increase; an operation is
 * never split (a point is an inclusive upper bound).
 */
export function splitPoints(sortedSample: readonly string[], parts: number): string[] {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError(`parts must be a positive integer: ${parts}`);
  const points: string[] = [];
  for (let k = 1; k < parts; k += 1) {
    const index = Math.floor((k * sortedSample.length) / parts) - 1;
    if (index < 0) continue;
    const id = sortedSample[index];
    if (points[points.length - 1] !== id) points.push(id);
  }
  return points;
}

/** The ranges between `after` and the end cut at `points` (increasing, each after `after`). */
export function rangesAt(after: string, points: readonly string[]): OperationRange[] {
  const bounds = [after, ...points];
  return bounds.map((lower, index) => ({ index, after: lower, atMost: points[index] ?? null }));
}
