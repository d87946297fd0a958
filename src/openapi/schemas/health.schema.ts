import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

@ClosedSchema('Liveness', 'The process answers.')
export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';
}

@ClosedSchema('DatabaseCheck', 'Whether Postgres answers a ping.')
export class DatabaseCheckDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: string;

  @ApiPropertyOptional({ example: 'Error: connect ECONNREFUSED 127.0.0.1:5432', description: 'Only when down.' })
  error?: string;
}

@ClosedSchema('KafkaConsumerCheck', 'Whether the Kafka consumer is connected and in its group.')
export class KafkaConsumerCheckDto {
  @ApiProperty({
    enum: ['up', 'down', 'disabled'],
    example: 'up',
    description: '`disabled` when INGEST_ENABLED=false (readiness then depends on the database only).',
  })
  status!: string;

  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [0, 1, 2],
    description: 'Partitions assigned to this instance.',
  })
  partitions!: number[];

  @ApiPropertyOptional({ example: 'KafkaJSConnectionError: Connection timeout', description: 'After a crash.' })
  error?: string;
}

@ClosedSchema('ReadinessChecks', 'One entry per dependency.')
export class ReadinessChecksDto {
  @ApiProperty({ type: DatabaseCheckDto })
  database!: DatabaseCheckDto;

  @ApiProperty({ type: KafkaConsumerCheckDto })
  kafkaConsumer!: KafkaConsumerCheckDto;
}

@ClosedSchema('Readiness', 'Ready = the database answers and the Kafka consumer is in its group (or ingest is off).')
export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'], example: 'ready' })
  status!: string;

  @ApiProperty({ type: ReadinessChecksDto })
  checks!: ReadinessChecksDto;
}
