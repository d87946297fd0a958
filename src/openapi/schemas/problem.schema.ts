import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

@ClosedSchema(
  'Problem',
  'RFC 9457 problem details, sent as application/problem+json for every error. Extensions: `field` (the ' +
    'request field at fault), `currentVersion` (the operation version on a 409/412), `storedVersion` and ' +
    '`storedOperationId` (the event holding the id on a 409 `id-conflict`) and `jobId` (the running rebuild on a ' +
    '409 of the admin API).',
)
export class ProblemDto {
  @ApiProperty({
    format: 'uri',
    example: 'https://opledger.dev/problems/validation',
    description: 'Identifies the kind of problem (validation, not-found, version-conflict…).',
  })
  type!: string;

  @ApiProperty({ example: 'Invalid request', description: 'Short summary of the kind of problem.' })
  title!: string;

  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400, description: 'The HTTP status.' })
  status!: number;

  @ApiProperty({ example: 'limit must be between 1 and 1000', description: 'What went wrong in this request.' })
  detail!: string;

  @ApiPropertyOptional({ example: '/v1/operations/order-42/events?limit=5000', description: 'The request URL.' })
  instance?: string;

  @ApiPropertyOptional({
    example: 'limit',
    description:
      'The field at fault: a query parameter, a header (`If-Match`), `id` for the path, an event attribute ' +
      '(`time`, `data.stage`), `[i].attribute` inside a batch, or `(body)`.',
  })
  field?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    example: 6,
    description: "On 409 and 412: the operation's current version (0 when it has no events).",
  })
  currentVersion?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    nullable: true,
    example: 3,
    description: 'On a 409 `rebuild-in-progress`: the rebuild job already running (null if not known).',
  })
  jobId?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 2,
    description: 'On a 409 `id-conflict`: the version of the stored event that holds the id.',
  })
  storedVersion?: number;

  @ApiPropertyOptional({
    example: 'order-42',
    description: 'On a 409 `id-conflict`: the operation of the stored event that holds the id.',
  })
  storedOperationId?: string;
}
