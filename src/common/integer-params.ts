import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { checkInteger, INTEGER_KINDS, type IntegerRange, rangeMessage } from './integer-range';
import { type ProblemException, Problems } from './problem';

export { INTEGER_KINDS };

/** The range of a page `limit`: 1 to the route's maximum. */
export function pageLimitRange(max: number): IntegerRange {
  return { minimum: 1, maximum: max, format: 'int32' };
}

/** The OpenAPI schema of an integer in `range`. */
export function integerSchema(range: IntegerRange): {
  type: 'integer';
  format: string;
  minimum: number;
  maximum: number;
} {
  return { type: 'integer', format: range.format, minimum: range.minimum, maximum: range.maximum };
}

/**
 * Vendor extension on a string-typed parameter that carries an integer (an ETag, a cursor
 * published as a string): its range, which JSON Schema cannot put on a string.
 */
export const INTEGER_RANGE_EXTENSION = 'x-integer-range';

/** The OpenAPI schema of a string that carries an integer in `range`: pattern, maxLength and the range. */
export function integerStringSchema(
  range: IntegerRange,
  text: { pattern: string; maxLength: number; example: string },
): SchemaObject {
  return { type: 'string', ...text, [INTEGER_RANGE_EXTENSION]: range } as SchemaObject;
}

/** Parses `raw` into `range` or throws the problem `refuse` gives (a 400 naming the parameter by default). */
export function requireInteger(
  raw: unknown,
  range: IntegerRange,
  refuse: (reason: 'not-an-integer' | 'out-of-range') => ProblemException,
): number {
  const checked = checkInteger(raw, range);
  if (!checked.ok) throw refuse(checked.reason);
  return checked.value;
}

interface QueryIntegerDoc {
  description: string;
  example: number;
  default?: number;
}

/**
 * An optional integer query parameter of a query DTO. Parsed strictly while the DTO is
 * built (class-transformer), so a value out of range never reaches the handler: 400
 * `rangeMessage`, `field` = the parameter. The OpenAPI schema carries the same range.
 */
export function IntegerQuery(range: IntegerRange, doc: QueryIntegerDoc): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ ...integerSchema(range), ...doc }),
    IsOptional(),
    Transform(({ key, value }: { key: string; value: unknown }) =>
      value === undefined
        ? undefined
        : requireInteger(value, range, () => Problems.validation(key, rangeMessage(key, range))),
    ),
    // Never fails after the transform; it lists the property for the whitelist.
    IsInt(),
  );
}

/** `atVersion`, `fromVersion`: an operation version, 1 to 2^31 - 1. */
export const VersionQuery = (doc: QueryIntegerDoc) => IntegerQuery(INTEGER_KINDS.version, doc);

/** `after`: a global position, 0 to 2^53 - 1. */
export const PositionQuery = (doc: QueryIntegerDoc) => IntegerQuery(INTEGER_KINDS.position, doc);

/**
 * A cursor that is a bigint row id, sent and published as a decimal string (`"17"`):
 * the string schema gets a pattern, a maxLength and the range as {@link INTEGER_RANGE_EXTENSION}.
 */
export function IdCursorQuery(doc: { description: string; example: string }, message: string): PropertyDecorator {
  const range = INTEGER_KINDS.position;
  return applyDecorators(
    // Under `schema`, so that Swagger keeps the range extension in the parameter's schema.
    ApiPropertyOptional({
      description: doc.description,
      schema: integerStringSchema(range, { pattern: '^\\d{1,16}$', maxLength: 16, example: doc.example }),
    } as Parameters<typeof ApiPropertyOptional>[0]),
    IsOptional(),
    Transform(({ key, value }: { key: string; value: unknown }) =>
      value === undefined ? undefined : requireInteger(value, range, () => Problems.validation(key, message)),
    ),
    IsInt(),
  );
}

/**
 * A path parameter that identifies a stored row: not an integer is a 400, but an integer
 * no row can have (outside the column's range) is simply not found, answered without a query.
 */
export function IdPath(range: IntegerRange, notFound: (raw: string) => ProblemException): PropertyDecorator {
  return applyDecorators(
    Transform(({ key, value }: { key: string; value: unknown }) =>
      requireInteger(value, range, (reason) =>
        reason === 'out-of-range' ? notFound(String(value)) : Problems.validation(key, `${key} must be an integer`),
      ),
    ),
    IsInt(),
  );
}

function header(context: ExecutionContext, name: string): string | undefined {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const shown = (value: string) => (value.length > 40 ? `${value.slice(0, 40)}…` : value);

/**
 * The Last-Event-ID request header (sent by a reconnecting EventSource) as a number in the
 * range of what the stream's ids are; empty or absent: undefined.
 */
export const LastEventId = createParamDecorator(
  (kind: 'position' | 'seenVersion', context: ExecutionContext): number | undefined => {
    const raw = header(context, 'last-event-id')?.trim();
    if (raw === undefined || raw === '') return undefined;
    const range = INTEGER_KINDS[kind];
    const what = kind === 'position' ? 'a global position' : 'an operation version';
    return requireInteger(raw, range, () =>
      Problems.validation(
        'Last-Event-ID',
        `Last-Event-ID must be ${what} (an integer from ${range.minimum} to ${range.maximum}), got "${shown(raw)}"`,
      ),
    );
  },
);

const ETAG = /^\s*(?:W\/)?"([^"]*)"\s*$/;

/**
 * `If-Match: "3"` (the ETag of GET /v1/operations/{id}; `W/"3"` and a bare `3` too) → 3,
 * an operation version from 0 (not created yet) to 2^31 - 1; absent → null.
 */
export const IfMatchVersion = createParamDecorator((_data: unknown, context: ExecutionContext): number | null => {
  const raw = header(context, 'if-match');
  if (raw === undefined) return null;
  const inner = ETAG.exec(raw)?.[1] ?? raw.trim();
  const range = INTEGER_KINDS.seenVersion;
  return requireInteger(inner, range, () =>
    Problems.validation(
      'If-Match',
      `If-Match must be the operation version (${range.minimum} to ${range.maximum}) as an ETag, e.g. "3"`,
    ),
  );
});
