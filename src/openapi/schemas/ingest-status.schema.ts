import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

const COUNT = { type: 'integer', minimum: 0 } as const;
const TIME = { type: String, format: 'date-time' } as const;

@ClosedSchema('IngestConsumer', "This instance's Kafka consumer.")
export class IngestConsumerDto {
  @ApiProperty({ example: true, description: 'False when INGEST_ENABLED=false (this instance serves the API only).' })
  enabled!: boolean;

  @ApiProperty({ example: true })
  connected!: boolean;

  @ApiProperty({ example: true, description: 'Whether it is in its consumer group.' })
  joinedGroup!: boolean;

  @ApiProperty({ type: 'integer', isArray: true, example: [0, 1, 2], description: 'Partitions assigned to it.' })
  partitions!: number[];
}

@ClosedSchema('PartitionLag', 'Records of one partition not yet stored.')
export class PartitionLagDto {
  @ApiProperty({ ...COUNT, example: 0 })
  partition!: number;

  @ApiProperty({ ...COUNT, example: 12, description: "Between the group's committed offset and the partition's end." })
  lag!: number;
}

@ClosedSchema('IngestLag', 'Consumer lag of the partitions this instance consumes.')
export class IngestLagDto {
  @ApiProperty({ ...COUNT, example: 12, description: 'Sum over the partitions.' })
  total!: number;

  @ApiProperty({ type: [PartitionLagDto] })
  partitions!: PartitionLagDto[];

  @ApiProperty({ ...TIME, example: '2026-06-01T12:00:00.000000Z', description: 'When the broker was asked.' })
  measuredAt!: string;
}

@ClosedSchema('DeadLetterCount', 'How many inputs were refused so far.')
export class DeadLetterCountDto {
  @ApiProperty({ ...COUNT, example: 3 })
  total!: number;

  @ApiProperty({ ...TIME, nullable: true, example: '2026-06-01T11:58:00.000000Z', description: 'The newest one.' })
  newestAt!: string | null;
}

@ClosedSchema('IngestStatus', 'Whether ingest keeps up: consumer, lag and dead letters.')
export class IngestStatusDto {
  @ApiProperty({ type: IngestConsumerDto })
  consumer!: IngestConsumerDto;

  @ApiProperty({
    type: IngestLagDto,
    nullable: true,
    description: 'Null when ingest is off or the broker did not answer.',
  })
  lag!: IngestLagDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why `lag` is null while ingest is enabled.',
  })
  lagError!: string | null;

  @ApiProperty({ type: DeadLetterCountDto })
  deadLetters!: DeadLetterCountDto;
}
