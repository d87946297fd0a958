import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems } from '../openapi/decorators';
import { OperationStatsDto } from '../openapi/schemas/stats.schema';
import { GetStatsQuery } from './queries/get-stats.query';

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
}
