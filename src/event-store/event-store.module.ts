import { Inject, Module, OnModuleInit, Logger } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ResolvedConfig } from '../config/app-config';
import { AppendEventsHandler } from './commands/append-events.handler';
import { databaseOptions } from './database-options';
import { EventStore } from './event-store.service';
import { EventLogReader } from './log/event-log-reader';
import { ProjectionDefinitions } from './projection/projection-definitions';
import { ProjectionStore } from './projection/projection-store';
import { OperatorReads } from './read-models/operator-reads';
import { runMigrations } from './run-migrations';

/**
 * The event store: the log, the projection and the read models beside it, with the only SQL that
 * names their tables (docs/architecture.md). Modules that read or write them import this module and
 * use its services; none of them gets the DataSource.
 */
@Module({
  imports: [
    CqrsModule,
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: ResolvedConfig) => ({
        ...databaseOptions(config.databaseUrl, config.databasePoolSize),
        // Start even when Postgres is down: readiness reports it, and the consumer waits.
        retryAttempts: 0,
      }),
    }),
  ],
  providers: [EventStore, AppendEventsHandler, EventLogReader, ProjectionStore, ProjectionDefinitions, OperatorReads],
  exports: [EventStore, EventLogReader, ProjectionStore, ProjectionDefinitions, OperatorReads],
})
export class EventStoreModule implements OnModuleInit {
  private readonly logger = new Logger('EventStore');

  constructor(@Inject(getDataSourceToken()) private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}
