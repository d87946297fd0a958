import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

const NULLABLE_INT = { type: 'integer', nullable: true } as const;
const TIME = { type: String, format: 'date-time' } as const;

@ClosedSchema('ReplayProgress', 'How far a replay job is.')
export class ReplayProgressDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 120000, description: 'Events folded so far.' })
  eventsDone!: number;

  @ApiProperty({ ...NULLABLE_INT, example: 480000, description: 'Events up to the horizon; null until known.' })
  eventsTotal!: number | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 20000, description: 'Operation rows written so far.' })
  operationsDone!: number;

  @ApiProperty({
    ...NULLABLE_INT,
    minimum: 0,
    maximum: 100,
    example: 25,
    description: 'null until eventsTotal is known.',
  })
  percent!: number | null;

  @ApiProperty({ ...NULLABLE_INT, example: 40000, description: 'Rate of this run; only while running the bulk pass.' })
  eventsPerSecond!: number | null;

  @ApiProperty({ ...NULLABLE_INT, example: 9, description: 'Estimated seconds left; null when unknown.' })
  etaSeconds!: number | null;
}

@ClosedSchema('ReplayJob', 'A rebuild (or verify) job of the operations projection.')
export class ReplayJobDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 })
  jobId!: number;

  @ApiProperty({ enum: ['rebuild', 'verify'], example: 'rebuild' })
  kind!: string;

  @ApiProperty({
    enum: ['running', 'cancelled', 'failed', 'succeeded', 'interrupted'],
    example: 'running',
    description: '`interrupted`: stored as running but no process holds it (it crashed or was killed); resumable.',
  })
  status!: string;

  @ApiProperty({ enum: ['bulk', 'catch-up', 'swap', 'diff', 'done'], example: 'bulk' })
  phase!: string;

  @ApiProperty({ type: 'integer', example: 1, description: 'The fold definition the job builds with.' })
  definitionVersion!: number;

  @ApiProperty({ type: ReplayProgressDto })
  progress!: ReplayProgressDto;

  @ApiProperty({ ...NULLABLE_INT, example: 480000, description: 'The head of the log when the job started.' })
  horizonPosition!: number | null;

  @ApiProperty({ ...NULLABLE_INT, example: null, description: 'The shadow table holds every event up to here.' })
  caughtUpPosition!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'order-19999',
    description:
      'The operation the bulk pass wrote last (with several pipelines, in the batch committed last; each range of ids resumes after its own checkpoint).',
  })
  checkpointOperationId!: string | null;

  @ApiProperty({ example: false, description: 'A cancel was asked; the job stops at its next checkpoint.' })
  cancelRequested!: boolean;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: null,
    description: "A verify job's report (`differences`, `examples`, `unsettled`); null for rebuilds.",
  })
  report!: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the job failed.' })
  error!: string | null;

  @ApiProperty({ ...TIME, example: '2026-11-25T16:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ ...TIME, example: '2026-11-25T16:00:12.000Z' })
  updatedAt!: string;

  @ApiProperty({ ...TIME, nullable: true, example: null })
  finishedAt!: string | null;
}

@ClosedSchema('ProjectionStatus', 'Which fold definition built the operations projection, and any rebuild running.')
export class ProjectionStatusDto {
  @ApiProperty({ example: 'operations', description: 'The projection.' })
  name!: string;

  @ApiProperty({ ...NULLABLE_INT, example: 1, description: 'The definition that built the live rows (null: unknown).' })
  builtWithDefinition!: number | null;

  @ApiProperty({ type: 'integer', example: 1, description: "The code's definition (PROJECTION_DEFINITION_VERSION)." })
  codeDefinition!: number;

  @ApiProperty({ ...TIME, nullable: true, example: null, description: 'When a rebuild last swapped the projection.' })
  rebuiltAt!: string | null;

  @ApiProperty({ example: false, description: "The live rows were built by another definition than the code's." })
  rebuildNeeded!: boolean;

  @ApiProperty({ type: ReplayJobDto, nullable: true, description: 'The rebuild running now, if any.' })
  runningRebuild!: ReplayJobDto | null;
}
