import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { RequireRole } from '../../auth/route-access';
import { INTEGER_KINDS, integerSchema } from '../../common/integer-params';
import { problem, Problems } from '../../common/problem';
import { API_KEY_SCHEME } from '../../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, type ProblemExample } from '../../openapi/decorators';
import { ProjectionStatusDto, ReplayJobDto } from '../../openapi/schemas/replay.schema';
import { BackgroundReplayJobs } from '../background-replay-jobs';
import { ProjectionDefinitions } from '../../event-store/projection/projection-definitions';
import { ProjectionRebuilder } from '../projection-rebuilder';
import { RebuildInProgressError, ReplayJobNotFoundError, ReplayJobNotResumableError } from '../replay-errors';
import { ReplayJobStore } from '../jobs/replay-job-store';
import { presentReplayJob } from './replay-job.presenter';
import { ReplayJobParams, StartRebuildBody } from './replay-requests';

function toProblem(error: unknown): unknown {
  if (error instanceof RebuildInProgressError) {
    return problem(409, 'rebuild-in-progress', 'A rebuild is already running', error.message, {
      jobId: error.runningJobId,
    });
  }
  if (error instanceof ReplayJobNotFoundError) return Problems.notFound('Replay job', error.message);
  if (error instanceof ReplayJobNotResumableError) {
    return problem(409, 'job-not-resumable', 'The job cannot be resumed', error.message);
  }
  return error;
}

const JOB_PARAM = ApiParam({
  name: 'jobId',
  description: 'The replay job id (`jobId` of the job). An integer no job can have (outside its range) is a 404.',
  schema: { ...integerSchema(INTEGER_KINDS.jobId), example: 3 },
});
const JOB_INSTANCE = '/v1/admin/projections/rebuild/3';
const BAD_JOB_ID: ProblemExample = {
  type: 'validation',
  title: 'Invalid request',
  status: 400,
  detail: 'jobId must be an integer',
  instance: '/v1/admin/projections/rebuild/x',
  field: 'jobId',
};
const NO_JOB: Record<string, ProblemExample> = {
  unknown: {
    type: 'not-found',
    title: 'Replay job not found',
    status: 404,
    detail: 'there is no replay job 3',
    instance: JOB_INSTANCE,
  },
  outOfRange: {
    type: 'not-found',
    title: 'Replay job not found',
    status: 404,
    detail: 'there is no replay job 999999999999',
    instance: '/v1/admin/projections/rebuild/999999999999',
  },
};

/** Rebuilds of the operations projection: start, follow, cancel, resume. */
@ApiTags('admin')
@ApiBearerAuth(API_KEY_SCHEME)
@RequireRole('admin')
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(
    private readonly definitions: ProjectionDefinitions,
    private readonly background: BackgroundReplayJobs,
    private readonly rebuilder: ProjectionRebuilder,
    private readonly jobs: ReplayJobStore,
  ) {}

  /** Which fold definition built the projection, and whether the code's differs. */
  @Get()
  @ApiOperation({
    summary: 'Projection status',
    description:
      "Which fold definition built the operations projection, whether the code's differs (a rebuild is then " +
      'needed), and the rebuild running now. Role: admin.',
  })
  @ApiOkResponse({ type: ProjectionStatusDto, description: 'The status.' })
  @ApiAuthProblems('admin', '/v1/admin/projections')
  async status() {
    const status = await this.definitions.status();
    const running = await this.jobs.findRunningRebuild();
    return {
      ...status,
      rebuiltAt: status.rebuiltAt?.toISOString() ?? null,
      runningRebuild: running ? presentReplayJob(running) : null,
    };
  }

  @Post('rebuild')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a rebuild',
    description:
      'Rebuilds the operations projection from the log in the background: folds every event into a shadow ' +
      'table, catches up with new events, then swaps it in. Follow it with GET …/rebuild/{jobId}. Role: admin.',
  })
  @ApiBody({
    required: false,
    description: 'Options (all optional).',
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        pageSize: {
          type: 'integer',
          minimum: 1,
          maximum: 100000,
          description: 'Events per read and rows per write (memory and checkpoint granularity).',
          example: 5000,
        },
      },
    },
    examples: { default: { summary: 'Default page size', value: {} }, pageSize: { value: { pageSize: 5000 } } },
  })
  @ApiAcceptedResponse({ type: ReplayJobDto, description: 'The job, started.' })
  @ApiProblemResponse(400, 'A bad or unknown option.', {
    pageSize: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'pageSize must be between 1 and 100000',
      instance: '/v1/admin/projections/rebuild',
      field: 'pageSize',
    },
  })
  @ApiAuthProblems('admin', '/v1/admin/projections/rebuild')
  @ApiProblemResponse(409, 'A rebuild is already running (`jobId` names it).', {
    running: {
      type: 'rebuild-in-progress',
      title: 'A rebuild is already running',
      status: 409,
      detail: 'rebuild job 3 is running; cancel it or wait for it to finish',
      instance: '/v1/admin/projections/rebuild',
      jobId: 3,
    },
  })
  async startRebuild(@Body() body: StartRebuildBody) {
    const handle = await this.background.startRebuild({ pageSize: body.pageSize }).catch((error: unknown) => {
      throw toProblem(error);
    });
    return presentReplayJob(handle!.job);
  }

  @Get('rebuild/:jobId')
  @ApiOperation({ summary: 'Follow a replay job', description: 'Its status, phase and progress. Role: admin.' })
  @JOB_PARAM
  @ApiOkResponse({ type: ReplayJobDto, description: 'The job.' })
  @ApiProblemResponse(400, 'A bad job id.', { badId: BAD_JOB_ID })
  @ApiProblemResponse(404, 'No such job (or an integer outside the range of job ids).', NO_JOB)
  @ApiAuthProblems('admin', JOB_INSTANCE)
  async getJob(@Param() params: ReplayJobParams) {
    const job = await this.jobs.find(params.jobId);
    if (!job) throw toProblem(new ReplayJobNotFoundError(params.jobId));
    return presentReplayJob(job);
  }

  /** Stops the job at its next checkpoint; it keeps its shadow table and can be resumed. */
  @Post('rebuild/:jobId/cancel')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Cancel a replay job',
    description:
      'Asks the job to stop at its next checkpoint; it keeps its shadow table and can be resumed. Role: admin.',
  })
  @JOB_PARAM
  @ApiAcceptedResponse({ type: ReplayJobDto, description: 'The job, with `cancelRequested`.' })
  @ApiProblemResponse(400, 'A bad job id.', { badId: BAD_JOB_ID })
  @ApiProblemResponse(404, 'No such job (or an integer outside the range of job ids).', NO_JOB)
  @ApiAuthProblems('admin', `${JOB_INSTANCE}/cancel`)
  async cancel(@Param() params: ReplayJobParams) {
    const job = await this.rebuilder.cancel(params.jobId).catch((error: unknown) => {
      throw toProblem(error);
    });
    return presentReplayJob(job);
  }

  @Post('rebuild/:jobId/resume')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Resume a replay job',
    description: 'Continues a cancelled or interrupted job after its checkpoint. Role: admin.',
  })
  @JOB_PARAM
  @ApiAcceptedResponse({ type: ReplayJobDto, description: 'The job, running again.' })
  @ApiProblemResponse(400, 'A bad job id.', { badId: BAD_JOB_ID })
  @ApiProblemResponse(404, 'No such job (or an integer outside the range of job ids).', NO_JOB)
  @ApiAuthProblems('admin', `${JOB_INSTANCE}/resume`)
  @ApiProblemResponse(409, 'The job cannot be resumed (it is running or finished), or another rebuild runs.', {
    notResumable: {
      type: 'job-not-resumable',
      title: 'The job cannot be resumed',
      status: 409,
      detail: 'replay job 3 cannot be resumed: it succeeded',
      instance: `${JOB_INSTANCE}/resume`,
    },
  })
  async resume(@Param() params: ReplayJobParams) {
    const handle = await this.background.resume(params.jobId).catch((error: unknown) => {
      throw toProblem(error);
    });
    return presentReplayJob(handle.job);
  }
}
