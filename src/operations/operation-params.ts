import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { isValidOperationId } from '../envelope/parse-cloud-event';
import { Problems } from '../common/problem';

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

export function checkOperationId(id: string): string {
  if (!isValidOperationId(id)) {
    throw Problems.validation('id', 'the operation id must be 1 to 200 characters of [A-Za-z0-9._:-]');
  }
  return id;
}
