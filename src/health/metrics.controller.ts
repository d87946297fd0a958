import { Controller, Get, Header, Logger } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PublicWhen, RequireRole } from '../auth/route-access';
import { EventStore } from '../event-store/event-store.service';
import { KafkaIngestService } from '../ingest/kafka-ingest.service';
import { MetricsService } from '../metrics/metrics.service';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems } from '../openapi/decorators';

const LAG_REFRESH_TIMEOUT_MS = 2000;

/** Resolves when `work` settles or after the refresh timeout, whichever is first: a scrape never hangs on it. */
function boundedRefresh(work: Promise<unknown>): Promise<unknown> {
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, LAG_REFRESH_TIMEOUT_MS).unref());
  return Promise.race([work, timeout]);
}

@ApiTags('health')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('metrics')
export class MetricsController {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly metrics: MetricsService,
    private readonly ingest: KafkaIngestService,
    private readonly store: EventStore,
  ) {}

  /** Prometheus text format. Needs the reader role unless METRICS_PUBLIC=true. */
  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Metrics in the Prometheus text format (HTTP latency, ingest, consumer lag, feed lag…). Role: reader, or public ' +
      'when METRICS_PUBLIC=true.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The metrics.',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example: '# HELP http_request_duration_seconds …\n# TYPE http_request_duration_seconds histogram\n',
      },
    },
  })
  @ApiAuthProblems('reader', '/metrics')
  @RequireRole('reader')
  @PublicWhen((config) => config.metricsPublic)
  @Header('cache-control', 'no-store')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    // A slow broker or database must not make the scrape time out: the gauges keep their last values then.
    await Promise.all([
      boundedRefresh(
        this.ingest
          .refreshLagMetric()
          .catch((error: unknown) => this.logger.warn(`consumer lag unavailable: ${String(error)}`)),
      ),
      boundedRefresh(
        this.store
          .feedLag()
          .then((lag) => {
            this.metrics.feedHeldEvents.set(lag.heldEvents);
            this.metrics.feedLagSeconds.set(lag.lagSeconds);
          })
          .catch((error: unknown) => this.logger.warn(`feed lag unavailable: ${String(error)}`)),
      ),
    ]);
    return this.metrics.registry.metrics();
  }
}
