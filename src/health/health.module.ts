import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventStoreModule } from '../event-store/event-store.module';
import { IngestModule } from '../ingest/ingest.module';
import { HealthController } from './health.controller';
import { ReadinessIndicators } from './health-indicators';
import { MetricsController } from './metrics.controller';

@Module({
  // Terminus' own error log is off: readiness failures are expected during outages and the body says why.
  imports: [EventStoreModule, IngestModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [ReadinessIndicators],
})
export class HealthModule {}
