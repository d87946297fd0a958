import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EventStoreModule } from '../event-store/event-store.module';
import { EventsController } from './events.controller';
import { OperationsController } from './operations.controller';
import { GetOperationAtHandler } from './queries/get-operation-at.handler';
import { GetOperationDocumentHandler } from './queries/get-operation-document.handler';
import { GetStageStatsHandler } from './queries/get-stage-stats.handler';
import { GetStatsHandler } from './queries/get-stats.handler';
import { ListOperationsHandler } from './queries/list-operations.handler';
import { ReadFeedHandler } from './queries/read-feed.handler';
import { StatsController } from './stats.controller';
import { GetOperationEventsHandler } from './queries/get-operation-events.handler';
import { GetOperationHandler } from './queries/get-operation.handler';
import { GetStageEventsHandler } from './queries/get-stage-events.handler';

@Module({
  imports: [CqrsModule, EventStoreModule],
  controllers: [OperationsController, EventsController, StatsController],
  providers: [
    GetOperationHandler,
    GetOperationAtHandler,
    GetOperationDocumentHandler,
    GetOperationEventsHandler,
    GetStageEventsHandler,
    ListOperationsHandler,
    GetStatsHandler,
    GetStageStatsHandler,
    ReadFeedHandler,
  ],
})
export class OperationsModule {}
