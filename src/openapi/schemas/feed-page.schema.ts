import { ApiProperty } from '@nestjs/swagger';
import { FEED_CURSOR_PATTERN } from '../../contract/feed-cursor';
import { ClosedSchema } from '../decorators';
import { StoredEventDto } from './stored-event.schema';

@ClosedSchema(
  'FeedPage',
  'One page of the global feed: events of every operation after a cursor, in feed order (transaction id, then ' +
    'position). Polling with `after = nextAfter` sees every event exactly once.',
)
export class FeedPageDto {
  @ApiProperty({ type: [StoredEventDto], description: 'The events after `after` in feed order, at most `limit`.' })
  events!: StoredEventDto[];

  @ApiProperty({
    type: 'string',
    pattern: FEED_CURSOR_PATTERN,
    example: '8412:1042',
    description:
      'The cursor of the last event returned (or where this page started when none): pass it as `after` next ' +
      'time. Opaque: compare nothing in it.',
  })
  nextAfter!: string;
}
