import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';

const COUNT = { type: 'integer', minimum: 0 } as const;

@ClosedSchema('OperationCountsByStatus', 'Operations per status (every status is present, 0 included).')
export class OperationCountsByStatusDto {
  @ApiProperty({ ...COUNT, example: 3 })
  pending!: number;

  @ApiProperty({ ...COUNT, example: 12 })
  running!: number;

  @ApiProperty({ ...COUNT, example: 950 })
  succeeded!: number;

  @ApiProperty({ ...COUNT, example: 31 })
  failed!: number;

  @ApiProperty({ ...COUNT, example: 4 })
  cancelled!: number;
}

@ClosedSchema('OperationStats', 'Counts over all operations, from one database snapshot.')
export class OperationStatsDto {
  @ApiProperty({ ...COUNT, example: 1000, description: 'All operations.' })
  total!: number;

  @ApiProperty({ type: OperationCountsByStatusDto })
  byStatus!: OperationCountsByStatusDto;

  @ApiProperty({ ...COUNT, example: 15, description: 'pending + running: the work in progress.' })
  inProgress!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 1 },
    example: { 'enrich-geo': 9, score: 3 },
    description: 'Per stage name, how many in-progress operations have that stage running.',
  })
  runningByStage!: Record<string, number>;
}
