/**
 * Postgres bigint columns (global positions) arrive from pg/TypeORM as strings.
 * They become JS numbers here and only here, with a check, so that no other
 * code compares "10" < "9" by accident or loses precision silently.
 */
export type GlobalPosition = number;

export function toGlobalPosition(raw: string | number | bigint): GlobalPosition {
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`global position ${String(raw)} is not a safe non-negative integer`);
  }
  return value;
}
