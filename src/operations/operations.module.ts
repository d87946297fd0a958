import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventsController } from './events.controller';
import { OperationsController } from './operations.controller';
import { ReadFeedHandler } from './queries/read-feed.handler';
import { GetOperationEventsHandler } from './queries/get-operation-events.handler';
import { GetOperationHandler } from './queries/get-operation.handler';

@Module({
  imports: [CqrsModule],
  controllers: [OperationsController, EventsController],
  providers: [GetOperationHandler, GetOperationEventsHandler, ReadFeedHandler],
})
export class OperationsModule {}
