import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';
import { OperationStateDto } from './operation-state.schema';

@ClosedSchema(
  'OperationList',
  'A page of operations, newest first (by the position of their first event), stable while new ones arrive.',
)
export class OperationListDto {
  @ApiProperty({ type: [OperationStateDto] })
  items!: OperationStateDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'cDEwNDI',
    description: 'Opaque: pass as `cursor` (with the same filters) for the next page; null on the last page.',
  })
  nextCursor!: string | null;
}
