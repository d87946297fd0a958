import { ApiProperty } from '@nestjs/swagger';
import { INTEGER_KINDS, integerSchema } from '../../common/integer-params';
import { ClosedSchema } from '../decorators';

const NULLABLE_STRING = { type: String, nullable: true } as const;

@ClosedSchema(
  'DeadLetter',
  'An input that could not be stored, with everything needed to understand and re-publish it.',
)
export class DeadLetterDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 17 })
  id!: number;

  @ApiProperty({
    example: 'invalid_envelope',
    description:
      'invalid_json, invalid_envelope, oversize_data, key_mismatch, time_in_future, version_conflict, id_conflict ' +
      'or unstorable (docs/events.md).',
  })
  reason!: string;

  @ApiProperty({ example: 'time is required (RFC 3339)', description: 'What was wrong, for humans.' })
  detail!: string;

  @ApiProperty({ example: 'kafka', description: 'Where the input came from: `kafka` or `http`.' })
  channel!: string;

  @ApiProperty({ ...NULLABLE_STRING, example: 'operation-events', description: 'Original Kafka topic.' })
  topic!: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 4, description: 'Original Kafka partition.' })
  partition!: number | null;

  @ApiProperty({ ...NULLABLE_STRING, example: '12345', description: 'Original Kafka offset (a decimal string).' })
  offset!: string | null;

  @ApiProperty({ ...NULLABLE_STRING, example: 'order-42', description: 'Original record key.' })
  key!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    example: { 'content-type': 'application/cloudevents+json' },
    description: 'Original record headers.',
  })
  headers!: Record<string, string> | null;

  @ApiProperty({
    ...NULLABLE_STRING,
    example: '{"specversion":"1.0","id":"e-1"}',
    description: 'The original value: as text when it is valid UTF-8, else base64 (see payloadEncoding).',
  })
  payload!: string | null;

  @ApiProperty({ type: String, enum: ['utf8', 'base64'], nullable: true, example: 'utf8' })
  payloadEncoding!: 'utf8' | 'base64' | null;

  @ApiProperty({ ...NULLABLE_STRING, example: 'e-1', description: 'The event id, when it could be read.' })
  eventId!: string | null;

  @ApiProperty({ ...NULLABLE_STRING, example: 'order-42', description: 'The operation id, when it could be read.' })
  operationId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-25T16:00:02.000000Z' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When it was last re-published to the main topic (POST /v1/dead-letters/republish).',
  })
  republishedAt!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: 'How often it was re-published.' })
  republishCount!: number;
}

@ClosedSchema('DeadLetterPage', 'Dead letters, newest first.')
export class DeadLetterPageDto {
  @ApiProperty({ type: [DeadLetterDto] })
  items!: DeadLetterDto[];

  @ApiProperty({
    ...NULLABLE_STRING,
    example: '17',
    description: 'Pass as `cursor` for the next (older) page; null on the last page.',
  })
  nextCursor!: string | null;
}

@ClosedSchema('RepublishDeadLettersRequest', 'The dead letters to send back to the main topic.')
export class RepublishDeadLettersRequestDto {
  @ApiProperty({
    type: 'array',
    items: integerSchema({ ...INTEGER_KINDS.position, minimum: 1 }),
    minItems: 1,
    maxItems: 500,
    example: [17, 18],
  })
  ids!: number[];
}

@ClosedSchema('RepublishDeadLettersResult', 'What was re-published.')
export class RepublishDeadLettersResultDto {
  @ApiProperty({ type: 'integer', isArray: true, example: [17], description: 'Re-published to the main topic.' })
  republished!: number[];

  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [18],
    description: 'Unknown ids, or inputs that did not come from Kafka (nothing to re-publish).',
  })
  notFound!: number[];
}
