import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

const COUNT = { type: 'integer', minimum: 0 } as const;

@ClosedSchema('OperationCountsByStatus', 'Operations per status (every status is present, 0 included).')
export class OperationCountsByStatusDto {
  @ApiProperty({ ...COUNT, example: 3 })
  pending!: number;

  @ApiProperty({ ...COUNT, example: 12 })
  running!: number;

  @ApiProperty({ ...COUNT, example: 950 })
  succeeded!: number;

  @ApiProperty({ ...COUNT, example: 31 })
  failed!: number;

  @ApiProperty({ ...COUNT, example: 4 })
  cancelled!: number;
}

@ClosedSchema('OperationStats', 'Counts over all operations, from one database snapshot.')
export class OperationStatsDto {
  @ApiProperty({ ...COUNT, example: 1000, description: 'All operations.' })
  total!: number;

  @ApiProperty({ type: OperationCountsByStatusDto })
  byStatus!: OperationCountsByStatusDto;

  @ApiProperty({ ...COUNT, example: 15, description: 'pending + running: the work in progress.' })
  inProgress!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 1 },
    example: { 'enrich-geo': 9, score: 3 },
    description: 'Per stage name, how many in-progress operations have that stage running.',
  })
  runningByStage!: Record<string, number>;
}

const MS = { type: 'number', minimum: 0, nullable: true } as const;

@ClosedSchema('StageDurations', 'Attempt durations in the window, from a log-linear histogram (within 9 %).')
export class StageDurationsDto {
  @ApiProperty({ ...COUNT, example: 120, description: 'Attempts with a measured duration.' })
  count!: number;

  @ApiProperty({ ...MS, example: 812.4, description: 'Median, milliseconds; null without any.' })
  p50!: number | null;

  @ApiProperty({ ...MS, example: 2380.1 })
  p95!: number | null;

  @ApiProperty({ ...MS, example: 4760.2 })
  p99!: number | null;
}

@ClosedSchema('StageStats', 'One stage over the window: attempts by outcome, running now, durations.')
export class StageStatsDto {
  @ApiProperty({ example: 'enrich-geo' })
  stage!: string;

  @ApiProperty({ ...COUNT, example: 130, description: 'stage.started events with a time in the window.' })
  started!: number;

  @ApiProperty({ ...COUNT, example: 118 })
  succeeded!: number;

  @ApiProperty({ ...COUNT, example: 7 })
  failed!: number;

  @ApiProperty({ ...COUNT, example: 1 })
  skipped!: number;

  @ApiProperty({ ...COUNT, example: 4, description: 'Running now, in operations still in progress.' })
  running!: number;

  @ApiProperty({
    type: 'number',
    minimum: 0,
    maximum: 1,
    nullable: true,
    example: 0.056,
    description: 'failed / (succeeded + failed); null when no attempt finished in the window.',
  })
  failureRate!: number | null;

  @ApiProperty({ type: StageDurationsDto })
  durationMs!: StageDurationsDto;
}

const SERIES = { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 60, maxItems: 60 } as const;

@ClosedSchema('StageSeries', 'Per minute of the last hour (aligned with series.minutes).')
export class StageSeriesDto {
  @ApiProperty(SERIES)
  started!: number[];

  @ApiProperty(SERIES)
  succeeded!: number[];

  @ApiProperty(SERIES)
  failed!: number[];

  @ApiProperty(SERIES)
  skipped!: number[];
}

@ApiExtraModels(StageSeriesDto)
@ClosedSchema('StageStatsSeries', 'The last hour, minute by minute.')
export class StageStatsSeriesDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'date-time' },
    minItems: 60,
    maxItems: 60,
    description: 'Minute starts, oldest first; the last one is the current minute.',
  })
  minutes!: string[];

  @ApiProperty({ ...SERIES, description: 'Events recorded by opledger per minute (by recordedAt).' })
  events!: number[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(StageSeriesDto) },
    description: "Per stage, by the events' own time.",
  })
  stages!: Record<string, StageSeriesDto>;
}

@ClosedSchema('StageStatsReport', 'Stage analytics over a window, from incrementally maintained rollups.')
export class StageStatsReportDto {
  @ApiProperty({ enum: ['15m', '1h', '24h'], example: '1h' })
  window!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the first minute in the window.' })
  from!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'End of the current minute.' })
  to!: string;

  @ApiProperty({ type: [StageStatsDto], description: 'Every stage seen in the window or running now, by name.' })
  stages!: StageStatsDto[];

  @ApiProperty({ type: StageStatsSeriesDto })
  series!: StageStatsSeriesDto;
}
