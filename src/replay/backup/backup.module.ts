import { Module } from '@nestjs/common';
import { EventStoreModule } from '../../event-store/event-store.module';
import { EventLogExporter } from './event-log-export';
import { EventLogImporter } from './event-log-import';

/** Backup and restore of the event log as NDJSON CloudEvents (the CLI's export and import). */
@Module({
  imports: [EventStoreModule],
  providers: [EventLogExporter, EventLogImporter],
  exports: [EventLogExporter, EventLogImporter],
})
export class BackupModule {}
