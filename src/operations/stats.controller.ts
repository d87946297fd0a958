import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetStatsQuery } from './queries/get-stats.query';

@Controller('v1/stats')
export class StatsController {
  constructor(private readonly queries: QueryBus) {}

  /** How many operations there are, by status, how many are in flight and in which stages. */
  @Get()
  stats() {
    return this.queries.execute(new GetStatsQuery());
  }
}
