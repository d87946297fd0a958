import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

@ClosedSchema('Liveness', 'The process answers.')
export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';
}

@ClosedSchema('HealthCheck', 'One dependency: up or down, with details.')
export class HealthCheckDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: string;

  @ApiPropertyOptional({ example: 'Error: connect ECONNREFUSED 127.0.0.1:5432', description: 'Why it is down.' })
  message?: string;

  @ApiPropertyOptional({
    type: 'integer',
    isArray: true,
    example: [0, 1, 2],
    description: 'kafkaConsumer only: the partitions assigned to this instance.',
  })
  partitions?: number[];

  @ApiPropertyOptional({
    enum: ['disabled'],
    description: 'kafkaConsumer only: `disabled` when INGEST_ENABLED=false (readiness then depends on the database).',
  })
  mode?: string;
}

@ClosedSchema('HealthChecks', 'Checks by name: `database` and `kafkaConsumer`.')
export class HealthChecksDto {
  @ApiPropertyOptional({ type: HealthCheckDto })
  database?: HealthCheckDto;

  @ApiPropertyOptional({ type: HealthCheckDto })
  kafkaConsumer?: HealthCheckDto;
}

@ClosedSchema('Readiness', 'The @nestjs/terminus health-check result.')
export class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'error'], example: 'ok' })
  status!: string;

  @ApiProperty({ type: HealthChecksDto, description: 'The checks that are up.' })
  info!: HealthChecksDto;

  @ApiProperty({ type: HealthChecksDto, description: 'The checks that are down.' })
  error!: HealthChecksDto;

  @ApiProperty({ type: HealthChecksDto, description: 'Every check.' })
  details!: HealthChecksDto;
}
