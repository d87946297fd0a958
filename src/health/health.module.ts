import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';

@Module({ imports: [IngestModule], controllers: [HealthController, MetricsController] })
export class HealthModule {}
