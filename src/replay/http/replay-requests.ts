import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ReplayJobParams {
  @Type(() => Number)
  @IsInt({ message: 'jobId must be an integer' })
  @Min(1, { message: 'jobId must be at least 1' })
  // replay_jobs.id is a bigint, but anything past 2^53 is no job this service created.
  @Max(Number.MAX_SAFE_INTEGER, { message: 'jobId is not a known job id' })
  jobId!: number;
}

export class StartRebuildBody {
  /** Events per read and rows per write (memory and checkpoint granularity). */
  @IsOptional()
  @IsInt({ message: 'pageSize must be an integer' })
  @Min(1, { message: 'pageSize must be between 1 and 100000' })
  @Max(100_000, { message: 'pageSize must be between 1 and 100000' })
  pageSize?: number;
}
