import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { Problems } from '../common/problem';
import { canonicalTime } from '../envelope/event-time';
import { isValidOperationId } from '../envelope/parse-cloud-event';
import {
  OPERATION_STATUSES,
  type OperationStatus,
  STAGE_STATUSES,
  type StageStatus,
} from '../projection/operation-fold';

export function checkOperationId(id: string): string {
  if (!isValidOperationId(id)) {
    throw Problems.validation('id', 'the operation id must be 1 to 200 characters of [A-Za-z0-9._:-]');
  }
  return id;
}

/** RFC 3339 query values, normalised; class-validator then only checks they parsed. */
const toCanonicalTime = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (canonicalTime(value) ?? `invalid:${value}`) : value;
const RFC3339_MESSAGE = (name: string) => `${name} must be an RFC 3339 timestamp, e.g. 2026-11-25T16:00:00Z`;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export class GetOperationParams {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'atVersion must be an integer' })
  @Min(1, { message: 'atVersion must be at least 1' })
  atVersion?: number;

  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('asOf') })
  asOf?: string;
}

export class EventsPageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'fromVersion must be an integer' })
  @Min(1, { message: 'fromVersion must be at least 1' })
  fromVersion?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 1000' })
  @Max(1000, { message: 'limit must be between 1 and 1000' })
  limit?: number;
}

export class ListOperationsParams {
  /** One status or a comma-separated list. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsIn(OPERATION_STATUSES, { each: true, message: `status must be one or more of ${OPERATION_STATUSES.join(', ')}` })
  status?: OperationStatus[];

  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'stage must be 1 to 200 characters' })
  stage?: string;

  @ValidateIf((params: ListOperationsParams) => params.stageStatus !== undefined)
  @IsIn(STAGE_STATUSES, { message: `stageStatus must be one of ${STAGE_STATUSES.join(', ')}` })
  stageStatus?: StageStatus;

  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'source must be 1 to 200 characters' })
  source?: string;

  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('updatedAfter') })
  updatedAfter?: string;

  @IsOptional()
  @Transform(toCanonicalTime)
  @Matches(CANONICAL, { message: RFC3339_MESSAGE('updatedBefore') })
  updatedBefore?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;

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
  const match = /^p(\d{1,16})$/.exec(decoded);
  if (!match || !Number.isSafeInteger(Number(match[1]))) {
    throw Problems.validation('cursor', 'cursor must come from a previous page (nextCursor)');
  }
  return Number(match[1]);
}
