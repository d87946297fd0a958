import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';
import { StoredEventDto } from './stored-event.schema';

@ClosedSchema('EventsPage', "One page of an operation's history, in version order.")
export class EventsPageDto {
  @ApiProperty({ example: 'order-42', description: 'The operation id.' })
  operationId!: string;

  @ApiProperty({ type: [StoredEventDto], description: 'Events with version >= fromVersion, at most `limit`.' })
  events!: StoredEventDto[];

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 101,
    description: 'Pass as `fromVersion` for the next page; null on the last page.',
  })
  nextFromVersion!: number | null;
}
