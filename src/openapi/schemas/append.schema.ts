import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { INTEGER_KINDS, integerSchema, integerStringSchema } from '../../common/integer-params';
import { KNOWN_EVENT_TYPES } from '../../envelope/operation-event';
import { ClosedSchema } from '../decorators';

/** The request body of an append: a structured-mode CloudEvent 1.0 (open: other extension attributes are ignored). */
@ApiSchema({
  name: 'CloudEvent',
  description:
    'A status event as a structured-mode CloudEvent 1.0 (docs/events.md). `subject` must be the operation id of ' +
    'the path. Extension attributes other than `expectedversion` are accepted and ignored.',
})
export class CloudEventDto {
  @ApiProperty({ enum: ['1.0'], example: '1.0' })
  specversion!: '1.0';

  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    example: '7f0c1f6e-enrich-geo-start-1',
    description: 'The idempotency key: an event whose id is already stored is not stored again.',
  })
  id!: string;

  @ApiProperty({ minLength: 1, example: 'pipeline/enrich-geo', description: 'The producing service.' })
  source!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    example: 'stage.started',
    description: `Known types: ${KNOWN_EVENT_TYPES.join(', ')}. Other types are stored and ignored by the projection.`,
  })
  type!: string;

  @ApiProperty({
    pattern: '^[A-Za-z0-9._:-]{1,200}$',
    example: 'order-42',
    description: 'The operation id; must equal `{id}` of the path.',
  })
  subject!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-25T16:00:00.120Z',
    description: 'RFC 3339 with an offset, when it happened at the producer; normalised to UTC microseconds.',
  })
  time!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { stage: 'enrich-geo' },
    description:
      'A JSON object of at most MAX_EVENT_DATA_BYTES serialised (larger: 413). Stage events need `data.stage`, ' +
      '`metadata.updated` needs `data.metadata` (an object); `operation.completed` reads `result`, ' +
      '`operation.failed` `error`, `operation.cancelled` `reason`.',
  })
  data?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    oneOf: [
      integerSchema(INTEGER_KINDS.seenVersion),
      integerStringSchema(INTEGER_KINDS.seenVersion, { pattern: '^\\d{1,10}$', maxLength: 10, example: '5' }),
    ],
    example: 5,
    description:
      'Optimistic concurrency: store the event only if the operation is at exactly this version (else 409). ' +
      'For the first event of a request, `If-Match` says the same.',
  })
  expectedversion?: number | string;
}

@ClosedSchema('AppendedEvent', 'What happened to one event of the request, in request order.')
export class AppendedEventDto {
  @ApiProperty({ example: '7f0c1f6e-enrich-geo-start-1', description: 'The event id.' })
  id!: string;

  @ApiProperty({
    enum: ['appended', 'duplicate'],
    example: 'appended',
    description: '`appended`: stored now. `duplicate`: an event with this id was already stored (nothing changed).',
  })
  status!: string;

  @ApiProperty({ type: 'integer', minimum: 1, example: 7, description: 'The version the log assigned to it.' })
  version!: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1043, description: 'Its global position.' })
  position!: number;
}

@ClosedSchema('AppendResult', 'The outcome of an append: all events of the request were stored (or already were).')
export class AppendResultDto {
  @ApiProperty({ example: 'order-42' })
  operationId!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 7,
    description: 'The highest version among the events of the request (also sent as the ETag).',
  })
  version!: number;

  @ApiProperty({ type: [AppendedEventDto] })
  events!: AppendedEventDto[];
}
