import { ApiProperty } from '@nestjs/swagger';
import { OPERATION_STATUSES, STAGE_STATUSES } from '../../projection/operation-fold';
import { ANY_JSON_VALUE, ClosedSchema } from '../decorators';

const TIME = { type: String, format: 'date-time' } as const;

@ClosedSchema('AttemptSpan', 'One attempt of a stage: from its start to its outcome.')
export class AttemptSpanDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 2,
    description: '1 for the first start, 2 for the second…; 0 for an outcome reported without any start (a skip).',
  })
  attempt!: number;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-06-01T12:00:04.000000Z' })
  startedAt!: string | null;

  @ApiProperty({
    ...TIME,
    nullable: true,
    example: '2026-06-01T12:00:06.000000Z',
    description: "The outcome's time; for a superseded attempt the next start; null while it runs.",
  })
  endedAt!: string | null;

  @ApiProperty({
    enum: [...STAGE_STATUSES, 'superseded'],
    example: 'failed',
    description:
      'What ended it: the outcome its stage event reported, `running` while it runs, or `superseded` when the ' +
      'stage started again before this attempt reported anything. The last attempt agrees with the stage status.',
  })
  outcome!: string;

  @ApiProperty({ example: 'pipeline/fetch', description: 'Source of the event that ended (or started) it.' })
  source!: string;

  @ApiProperty({ ...ANY_JSON_VALUE, example: { code: 'timeout' }, description: '`data.error` of a failed attempt.' })
  error!: unknown;
}

@ClosedSchema('StageTimeline', 'Where the time of one stage went.')
export class StageTimelineDto {
  @ApiProperty({ example: 'fetch', description: 'The stage name.' })
  stage!: string;

  @ApiProperty({ enum: STAGE_STATUSES, example: 'succeeded' })
  status!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 2, description: 'Number of distinct starts.' })
  attempts!: number;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-06-01T12:00:01.000000Z' })
  firstStartedAt!: string | null;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-06-01T12:00:04.000000Z' })
  lastStartedAt!: string | null;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-06-01T12:00:06.000000Z' })
  finishedAt!: string | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    nullable: true,
    example: 5000,
    description: 'From the first start to the finish; to now while running; null when the stage never started.',
  })
  durationMs!: number | null;

  @ApiProperty({ example: false, description: 'Whether the stage is running now.' })
  running!: boolean;

  @ApiProperty({
    type: [AttemptSpanDto],
    description: 'Every attempt in event-time order; the spans with a start number `attempts`.',
  })
  attemptSpans!: AttemptSpanDto[];
}

@ClosedSchema('OperationTimeline', 'The stages of an operation ordered by first start (never-started stages last).')
export class OperationTimelineDto {
  @ApiProperty({ example: 'order-42' })
  id!: string;

  @ApiProperty({ enum: OPERATION_STATUSES, example: 'running' })
  status!: string;

  @ApiProperty({ ...TIME, example: '2026-06-01T12:00:00.000000Z' })
  createdAt!: string;

  @ApiProperty({ ...TIME, example: '2026-06-01T12:00:09.000000Z' })
  updatedAt!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 9000,
    description: 'From the first event to the last one when finished, to now otherwise.',
  })
  elapsedMs!: number;

  @ApiProperty({ type: [StageTimelineDto] })
  stages!: StageTimelineDto[];

  @ApiProperty({ type: [String], example: ['geo'], description: 'Names of the stages running now.' })
  runningStages!: string[];
}
