import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsOptional } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import {
  FEED_CURSOR_MAX_LENGTH,
  FEED_CURSOR_PATTERN,
  type ParsedFeedCursor,
  parseFeedCursor,
} from '../contract/feed-cursor';
import { INTEGER_KINDS, INTEGER_RANGE_EXTENSION } from './integer-params';
import { Problems } from './problem';

/** A feed cursor as a request gives it: the opaque form or a bare global position. */
export type FeedCursorInput = Exclude<ParsedFeedCursor, { kind: 'invalid' }>;

const range = INTEGER_KINDS.position;
const WHAT = `a feed cursor (a \`nextAfter\` or event-stream id, e.g. "8412:1042") or a global position (an integer from ${range.minimum} to ${range.maximum})`;

/** The problem for a cursor that does not parse, naming the parameter. */
const refuse = (name: string, raw: string) =>
  Problems.validation(name, `${name} must be ${WHAT}, got "${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}"`);

/**
 * The OpenAPI schema of a feed cursor: a string with the pattern of both forms, and the range of
 * the bare-position form as the integer-range extension (so the numeric-bounds checks cover it).
 */
export function feedCursorSchema(example: string): SchemaObject {
  return {
    type: 'string',
    pattern: FEED_CURSOR_PATTERN,
    maxLength: FEED_CURSOR_MAX_LENGTH,
    example,
    [INTEGER_RANGE_EXTENSION]: range,
  } as SchemaObject;
}

/** Parses `raw` strictly or throws a 400 naming `name`. */
export function requireFeedCursor(name: string, raw: string): FeedCursorInput {
  const parsed = parseFeedCursor(raw);
  if (parsed.kind === 'invalid') throw refuse(name, raw);
  return parsed;
}

/** An optional feed-cursor query parameter of a query DTO (`after`). */
export function FeedCursorQuery(doc: { description: string; example: string }): PropertyDecorator {
  return applyDecorators(
    // Under `schema`, so that Swagger keeps the range extension in the parameter's schema.
    ApiPropertyOptional({ description: doc.description, schema: feedCursorSchema(doc.example) } as Parameters<
      typeof ApiPropertyOptional
    >[0]),
    IsOptional(),
    Transform(({ key, value }: { key: string; value: unknown }) =>
      value === undefined ? undefined : requireFeedCursor(key, Array.isArray(value) ? value.join(',') : String(value)),
    ),
    // Never fails after the transform; it lists the property for the whitelist.
    Allow(),
  );
}

/** The Last-Event-ID request header of the feed's stream as a cursor; empty or absent: undefined. */
export const FeedLastEventId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): FeedCursorInput | undefined => {
    const value = context.switchToHttp().getRequest<FastifyRequest>().headers['last-event-id'];
    const raw = (Array.isArray(value) ? value.join(',') : value)?.trim();
    if (raw === undefined || raw === '') return undefined;
    return requireFeedCursor('Last-Event-ID', raw);
  },
);
