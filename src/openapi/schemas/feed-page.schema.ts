import { ApiProperty } from '@nestjs/swagger';
import { ClosedSchema } from '../decorators';
import { StoredEventDto } from './stored-event.schema';

@ClosedSchema(
  'FeedPage',
  'One page of the global feed: events of every operation after a position, in position order. Polling with ' +
    '`after = nextAfter` sees every event exactly once (positions become visible in order).',
)
export class FeedPageDto {
  @ApiProperty({ type: [StoredEventDto], description: 'Events with position > after, at most `limit`.' })
  events!: StoredEventDto[];

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1042,
    description: 'The position of the last event returned (or `after` when none): pass it as `after` next time.',
  })
  nextAfter!: number;
}
