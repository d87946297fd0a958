import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IdPath, INTEGER_KINDS } from '../../common/integer-params';
import { Problems } from '../../common/problem';

export class ReplayJobParams {
  // An integer outside replay_jobs.id's range is a job that cannot exist: 404 without a query.
  @IdPath(INTEGER_KINDS.jobId, (raw) => Problems.notFound('Replay job', `there is no replay job ${raw}`))
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
