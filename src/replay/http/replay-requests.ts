import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ReplayJobParams {
  @Type(() => Number)
  @IsInt({ message: 'jobId must be an integer' })
  @Min(1, { message: 'jobId must be at least 1' })
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
