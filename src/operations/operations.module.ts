import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { OperationsController } from './operations.controller';
import { GetOperationEventsHandler } from './queries/get-operation-events.handler';
import { GetOperationHandler } from './queries/get-operation.handler';

@Module({
  imports: [CqrsModule],
  controllers: [OperationsController],
  providers: [GetOperationHandler, GetOperationEventsHandler],
})
export class OperationsModule {}
