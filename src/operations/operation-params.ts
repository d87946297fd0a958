import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { INTEGER_KINDS, VersionQuery } from '../common/integer-params';
import { checkInteger } from '../common/integer-range';
import { Problems } from '../common/problem';
import { canonicalTime } from '../envelope/event-time';
import {
  OPERATION_STATUSES,
  type OperationStatus,
  STAGE_STATUSES,
  type StageStatus,
} from '../projection/operation-fold';
import { PageLimit } from '../common/page-limit';

/** RFC 3339 query values, normalised; class-validator then only checks they parsed. */
const toCanonicalTime = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (canonicalTime(value) ?? `invalid:${value}`) : value;
const RFC3339_MESSAGE = (name: string) => `${name} must be an RFC 3339 timestamp, e.g. 2026-11-25T16:00:00Z`;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export class GetOperationParams {
  @VersionQuery({
    example: 2,
    description:
      'Time travel: the state right after the event with this version (folded from versions 1..atVersion). ' +
      '404 if the operation had no events then. With asOf, both limits apply. No ETag is sent.',
  })
  atVersion?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-25T16:00:01Z',
    description:
      'Time travel: the state from the events opledger had recorded at this instant (by recordedAt, not the ' +
      "producer's time). RFC 3339. 404 if the operation had no events then.",
  })
  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('asOf') })
  asOf?: string;
}

export class EventsPageQuery {
  @VersionQuery({
    default: 1,
    example: 1,
    description: 'The first version of the page (the `nextFromVersion` of the previous page).',
  })
  fromVersion?: number;

  @PageLimit(1000, 100, 'events')
  limit?: number;
}

export class ListOperationsParams {
  /** One status or a comma-separated list. */
  @ApiPropertyOptional({
    type: String,
    isArray: true,
    enum: OPERATION_STATUSES,
    example: ['failed', 'cancelled'],
    description:
      'Operations in one of these statuses: one status, a comma-separated list (`status=failed,cancelled`) or the ' +
      'parameter repeated.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsIn(OPERATION_STATUSES, { each: true, message: `status must be one or more of ${OPERATION_STATUSES.join(', ')}` })
  status?: OperationStatus[];

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 200,
    example: 'enrich-geo',
    description: 'Operations that have this stage (in any status, or in `stageStatus`).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'stage must be 1 to 200 characters' })
  stage?: string;

  @ApiPropertyOptional({
    enum: STAGE_STATUSES,
    example: 'failed',
    description: 'With `stage`: operations whose stage is in this status (without `stage`: 400).',
  })
  @ValidateIf((params: ListOperationsParams) => params.stageStatus !== undefined)
  @IsIn(STAGE_STATUSES, { message: `stageStatus must be one of ${STAGE_STATUSES.join(', ')}` })
  stageStatus?: StageStatus;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 200,
    example: 'pipeline/enrich-geo',
    description: 'Operations with at least one event from this source.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'source must be 1 to 200 characters' })
  source?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-25T00:00:00Z',
    description: 'Operations whose `updatedAt` is strictly after this instant (RFC 3339).',
  })
  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('updatedAfter') })
  updatedAfter?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-26T00:00:00Z',
    description: 'Operations whose `updatedAt` is strictly before this instant (RFC 3339).',
  })
  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('updatedBefore') })
  updatedBefore?: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9._:-]+$',
    example: 'order-4',
    description: 'Operations whose id starts with this (case-sensitive), e.g. to find one from a partial id.',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,200}$/, { message: 'idPrefix must be 1 to 200 characters of [A-Za-z0-9._:-]' })
  idPrefix?: string;

  @PageLimit(500, 50, 'operations')
  limit?: number;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 100,
    example: 'cDEwNDI',
    description: 'The `nextCursor` of the previous page (opaque; keep the same filters).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100, { message: 'cursor must come from a previous page (nextCursor)' })
  cursor?: string;
}

/** The list cursor is opaque to clients: the first position of the last operation seen. */
export function encodeListCursor(position: number): string {
  return Buffer.from(`p${position}`, 'utf8').toString('base64url');
}

export function decodeListCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = checkInteger(/^p(\d+)$/.exec(decoded)?.[1], INTEGER_KINDS.position);
  if (!position.ok) throw Problems.validation('cursor', 'cursor must come from a previous page (nextCursor)');
  return position.value;
}
