import { Global, Inject, Module, OnModuleInit, Logger } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ResolvedConfig } from '../config/app-config';
import { AppendEventsHandler } from './commands/append-events.handler';
import { databaseOptions } from './database-options';
import { EventStore } from './event-store.service';
import { runMigrations } from './run-migrations';

@Global()
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
  providers: [EventStore, AppendEventsHandler],
  exports: [EventStore],
})
export class EventStoreModule implements OnModuleInit {
  private readonly logger = new Logger('EventStore');

  constructor(@Inject(getDataSourceToken()) private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}
