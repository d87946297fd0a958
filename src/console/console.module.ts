import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { ConsoleController } from './console.controller';
import { IngestStatusController } from './ingest-status.controller';
import { IngestStatusService } from './ingest-status.service';

/**
 * The operator console (docs/console.md): the browser app served by the service itself, and the
 * one read model it needs that the rest of the API did not have (ingest lag and dead-letter count).
 */
@Module({
  imports: [IngestModule],
  controllers: [ConsoleController, IngestStatusController],
  providers: [IngestStatusService],
})
export class ConsoleModule {}
