import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { OPERATION_STATUSES, STAGE_STATUSES } from '../../projection/operation-fold';
import { ANY_JSON_VALUE, ClosedSchema } from '../decorators';

const TIME = { type: String, format: 'date-time' } as const;

@ClosedSchema(
  'StageState',
  'One stage of an operation. Every field comes from the stage event with the greatest (time, id) key, except ' +
    '`attempts`, `firstStartedAt` and `lastStartedAt`, which count and bound all its `stage.started` events.',
)
export class StageStateDto {
  @ApiProperty({ enum: STAGE_STATUSES, example: 'running', description: 'From the winning stage event.' })
  status!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 2, description: 'Number of distinct `stage.started` events.' })
  attempts!: number;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-11-25T16:00:00.120000Z', description: 'Earliest start.' })
  firstStartedAt!: string | null;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-11-25T16:00:01.500000Z', description: 'Latest start.' })
  lastStartedAt!: string | null;

  @ApiProperty({
    ...TIME,
    nullable: true,
    example: null,
    description: 'Time of the winning event when the stage is succeeded, failed or skipped; null while running.',
  })
  finishedAt!: string | null;

  @ApiProperty({ example: 'pipeline/enrich-geo', description: '`source` of the winning stage event.' })
  source!: string;

  @ApiProperty({
    ...ANY_JSON_VALUE,
    example: null,
    description: '`data.error` of a winning `stage.failed` event (any JSON value); null otherwise.',
  })
  error!: unknown;
}

@ClosedSchema(
  'OperationState',
  'The current state of an operation, folded from its events by rules under which a late or stale event never ' +
    'overwrites a newer fact (docs/consistency.md). All timestamps are UTC with microseconds.',
)
export class OperationStateDto {
  @ApiProperty({ example: 'order-42', pattern: '^[A-Za-z0-9._:-]{1,200}$', description: 'The operation id.' })
  id!: string;

  @ApiProperty({
    enum: OPERATION_STATUSES,
    example: 'running',
    description:
      'Terminal (`succeeded`, `failed`, `cancelled`) after the newest terminal event unless a newer ' +
      '`operation.restarted` reopened it; else `running` once any stage event exists, `pending` before.',
  })
  status!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath('StageState') },
    description: 'Stages by name.',
    example: {
      'enrich-geo': {
        status: 'running',
        attempts: 2,
        firstStartedAt: '2026-11-25T16:00:00.120000Z',
        lastStartedAt: '2026-11-25T16:00:01.500000Z',
        finishedAt: null,
        source: 'pipeline/enrich-geo',
        error: null,
      },
    },
  })
  stages!: Record<string, StageStateDto>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { customer: 'acme' },
    description: 'Merged per top-level key from `metadata.updated` events (the newest event per key wins).',
  })
  metadata!: Record<string, unknown>;

  @ApiProperty({
    ...ANY_JSON_VALUE,
    example: null,
    description: '`data.result` of `operation.completed` while the operation is succeeded; null otherwise.',
  })
  result!: unknown;

  @ApiProperty({
    ...ANY_JSON_VALUE,
    example: null,
    description: '`data.error` of `operation.failed` or `data.reason` of `operation.cancelled`; null otherwise.',
  })
  error!: unknown;

  @ApiProperty({ ...TIME, example: '2026-11-25T16:00:00.000000Z', description: 'Smallest `time` of its events.' })
  createdAt!: string;

  @ApiProperty({ ...TIME, example: '2026-11-25T16:00:01.500000Z', description: 'Greatest `time` of its events.' })
  updatedAt!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 6,
    description: 'Version of the last event stored (1, 2, 3… in arrival order). Also the ETag: `"6"`.',
  })
  version!: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 6, description: 'Number of events of the operation.' })
  eventCount!: number;
}
