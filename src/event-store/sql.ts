/**
 * The one thing the replay code needs from a connection: run a query. A
 * DataSource, an EntityManager inside a transaction and a QueryRunner all fit,
 * so the same functions work online and inside the swap transaction.
 */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** A transaction that can also bulk-load with COPY … FROM STDIN (ProjectionStore.bulkTransaction). */
export interface BulkLoadRunner extends SqlRunner {
  /** Runs `COPY … FROM STDIN` with `text` in COPY text format; resolves to the rows copied. */
  copyFrom(sql: string, text: string): Promise<number>;
}

/**
 * The rows a statement returned. TypeORM answers UPDATE and DELETE with
 * [rows, affected] and everything else with the rows; rows are never arrays.
 */
export async function selectRows<T>(db: SqlRunner, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, parameters);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/** Identifiers the replay code builds itself (shadow table names), quoted all the same. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A bigint count (not a position: those go through toGlobalPosition) as a JS number. */
export function toCount(raw: string | number | null): number {
  const value = raw === null ? 0 : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`count ${String(raw)} is not a safe integer`);
  return value;
}

export function isLockTimeout(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } };
  return candidate?.code === '55P03' || candidate?.driverError?.code === '55P03';
}
