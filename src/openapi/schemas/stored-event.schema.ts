import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

@ClosedSchema(
  'StoredEvent',
  'An event as the log holds it: the CloudEvent (subject = operation id, time normalised to UTC with ' +
    'microseconds) plus what opledger assigned: `version`, `position` and `recordedAt`.',
)
export class StoredEventDto {
  @ApiProperty({ enum: ['1.0'], example: '1.0', description: 'CloudEvents spec version.' })
  specversion!: '1.0';

  @ApiProperty({ example: '7f0c1f6e-enrich-geo-start-1', description: 'The event id (the idempotency key).' })
  id!: string;

  @ApiProperty({ example: 'pipeline/enrich-geo', description: 'The producing service.' })
  source!: string;

  @ApiProperty({ example: 'stage.started', description: 'The event type (docs/events.md lists the known ones).' })
  type!: string;

  @ApiProperty({ example: 'order-42', description: 'The operation id.' })
  subject!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-25T16:00:00.120000Z',
    description: 'When it happened at the producer, UTC, microsecond precision.',
  })
  time!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { stage: 'enrich-geo' },
    description: 'The event data (a JSON object), or null when the event had none.',
  })
  data!: Record<string, unknown> | null;

  @ApiProperty({ type: 'integer', minimum: 1, example: 2, description: "The event's version within its operation." })
  version!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 1042,
    description: 'The global position: increases across the whole log (the feed cursor).',
  })
  position!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-25T16:00:00.131207Z',
    description: 'When opledger stored it.',
  })
  recordedAt!: string;
}
