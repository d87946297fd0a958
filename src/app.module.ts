import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule } from './auth/auth.module';
import type { ResolvedConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { EventStoreModule } from './event-store/event-store.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { OperationsModule } from './operations/operations.module';

@Module({})
export class AppModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CqrsModule.forRoot(),
        AuthModule,
        EventStoreModule,
        IngestModule,
        OperationsModule,
        HealthModule,
      ],
    };
  }
}
