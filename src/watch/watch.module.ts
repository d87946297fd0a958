import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventStoreModule } from '../event-store/event-store.module';
import { FeedBroadcaster } from './feed-broadcaster';
import { WatchController } from './watch.controller';
import { WatchService } from './watch.service';

/** Live watch over Server-Sent Events: one feed poller per instance fanning out to every open stream. */
@Module({
  imports: [CqrsModule, EventStoreModule],
  controllers: [WatchController],
  providers: [FeedBroadcaster, WatchService],
  exports: [FeedBroadcaster, WatchService],
})
export class WatchModule {}
