import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import { loggingParams } from './common/logging';
import { AuthModule } from './auth/auth.module';
import type { ResolvedConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { EventStoreModule } from './event-store/event-store.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { ReplayModule } from './replay/replay.module';
import { WatchModule } from './watch/watch.module';

@Module({})
export class AppModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggingParams(config)),
        CqrsModule.forRoot(),
        AuthModule,
        MetricsModule,
        EventStoreModule,
        IngestModule,
        OperationsModule,
        ReplayModule,
        HealthModule,
        WatchModule,
        ConsoleModule,
      ],
    };
  }
}
