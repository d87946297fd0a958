import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** Global: every module records into the same registry. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
