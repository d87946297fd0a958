import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../openapi/decorators';
import { OperationStatsDto, StageStatsReportDto } from '../openapi/schemas/stats.schema';
import { GetStageStatsQuery } from './queries/get-stage-stats.query';
import { STAGE_STATS_WINDOWS, type StageStatsWindow } from './stage-stats';
import { GetStatsQuery } from './queries/get-stats.query';

export class StageStatsParams {
  @ApiPropertyOptional({
    enum: Object.keys(STAGE_STATS_WINDOWS),
    default: '1h',
    description: 'How far back the totals and percentiles reach, ending with the current minute.',
  })
  @IsOptional()
  @IsIn(Object.keys(STAGE_STATS_WINDOWS), { message: 'window must be one of 15m, 1h, 24h' })
  window?: StageStatsWindow;
}

@ApiTags('stats')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly queries: QueryBus) {}

  /** How many operations there are, by status, how many are in flight and in which stages. */
  @Get()
  @ApiOperation({
    summary: 'Count operations',
    description:
      'How many operations there are, by status, how many are in progress (pending + running) and, among those, ' +
      'how many have each stage running; all from one database snapshot. Role: reader.',
  })
  @ApiOkResponse({ type: OperationStatsDto, description: 'The counts.' })
  @ApiAuthProblems('reader', '/v1/stats')
  stats() {
    return this.queries.execute(new GetStatsQuery());
  }

  /** Per stage: attempts by outcome, failure rate and durations over a window, and the last hour by minute. */
  @Get('stages')
  @ApiOperation({
    summary: 'Stage analytics',
    description:
      "Per pipeline stage over the window: started, succeeded, failed and skipped attempts (by the events' own " +
      'time, so late events count in the minute they belong to), running now, failure rate and duration ' +
      'percentiles of the attempts that finished in the window; plus the last hour minute by minute (events ' +
      "recorded, and each stage's outcomes). Read from rollups maintained as events are appended: the cost does not " +
      'grow with the log. Role: reader.',
  })
  @ApiOkResponse({ type: StageStatsReportDto, description: 'The analytics.' })
  @ApiProblemResponse(400, 'A parameter is invalid or unknown; `field` names it.', {
    badWindow: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'window must be one of 15m, 1h, 24h',
      instance: '/v1/stats/stages?window=2h',
      field: 'window',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/stats/stages'),
  })
  @ApiAuthProblems('reader', '/v1/stats/stages')
  stages(@Query() params: StageStatsParams) {
    return this.queries.execute(new GetStageStatsQuery(params.window ?? '1h'));
  }
}
