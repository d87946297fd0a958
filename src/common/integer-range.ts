/**
 * The ranges of the numbers a request can carry, from the Postgres types they are
 * compared with, and the one strict parser every numeric parameter goes through.
 * A number that parses but does not fit its column must be refused here: past this
 * point it reaches a query, and Postgres answers "out of range" with an error (a 500).
 */

/** Postgres `integer` (int4): versions, replay job ids. */
export const INT4_MAX = 2_147_483_647;

/**
 * Global positions and dead-letter ids are Postgres `bigint`, but the service handles
 * them as JavaScript numbers (src/event-store/global-position.ts refuses anything past
 * 2^53 - 1 coming out of the database), so that is the largest one a request may name:
 * a bigger one could not be echoed back exactly (`nextAfter`, `nextCursor`).
 */
export const BIGINT_SAFE_MAX = Number.MAX_SAFE_INTEGER;

export interface IntegerRange {
  minimum: number;
  maximum: number;
  /** The OpenAPI format of the column type. */
  format: 'int32' | 'int64';
}

/**
 * Every kind of number a request carries, with the range of the column it meets. A
 * parameter takes its range from here (through the decorators below), and so does
 * its OpenAPI schema: what the document declares is what the server enforces.
 */
export const INTEGER_KINDS = {
  /** operation_events.version (integer, CHECK > 0): atVersion, fromVersion. */
  version: { minimum: 1, maximum: INT4_MAX, format: 'int32' },
  /** A version a client has seen, 0 = none yet: If-Match, Last-Event-ID of an operation, expectedversion. */
  seenVersion: { minimum: 0, maximum: INT4_MAX, format: 'int32' },
  /** A global position (operation_events.position, bigint) or a dead-letter id cursor; 0 = before the first. */
  position: { minimum: 0, maximum: BIGINT_SAFE_MAX, format: 'int64' },
  /** replay_jobs.id (integer identity). */
  jobId: { minimum: 1, maximum: INT4_MAX, format: 'int32' },
} as const satisfies Record<string, IntegerRange>;

export type IntegerCheck = { ok: true; value: number } | { ok: false; reason: 'not-an-integer' | 'out-of-range' };

/** Digits beyond which a decimal is past every range here (2^53 has 16). */
const MAX_DIGITS = 16;

/**
 * A decimal integer (`0`, `42`, `-3`, leading zeros allowed) within `range`. Strict: no
 * exponent, fraction, sign `+`, hex, blanks or empty string (`Number()` would take `1e3`,
 * `0x10`, ` 7 ` and `''`). Works on the digits, so a value of any length is judged without
 * losing precision. A JSON number (a request body) is accepted as it is when it is an integer.
 */
export function checkInteger(raw: unknown, range: IntegerRange): IntegerCheck {
  let value: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { ok: false, reason: 'not-an-integer' };
    value = raw;
  } else if (typeof raw === 'string') {
    const match = /^(-?)0*(\d+)$/.exec(raw);
    if (!match) return { ok: false, reason: 'not-an-integer' };
    const [, sign, digits] = match;
    if (digits.length > MAX_DIGITS) return { ok: false, reason: 'out-of-range' };
    // At most 16 digits: Number() rounds past 2^53 but never across a bound of the ranges here.
    value = sign === '-' ? -Number(digits) : Number(digits);
  } else {
    return { ok: false, reason: 'not-an-integer' };
  }
  if (value < range.minimum || value > range.maximum) return { ok: false, reason: 'out-of-range' };
  return { ok: true, value: value === 0 ? 0 : value };
}

/** "atVersion must be an integer from 1 to 2147483647": the same sentence for every kind. */
export function rangeMessage(name: string, range: IntegerRange): string {
  return `${name} must be an integer from ${range.minimum} to ${range.maximum}`;
}
