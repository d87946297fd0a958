import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BoundedLabel } from './bounded-label';

/** Every Prometheus series the service exports; docs/operations.md explains them. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly types = new BoundedLabel(100);
  private readonly sources = new BoundedLabel(200);

  readonly eventsAppended = new Counter({
    name: 'opledger_events_appended_total',
    help: 'Events appended to the log, by type and source',
    labelNames: ['type', 'source'] as const,
    registers: [this.registry],
  });

  readonly duplicatesIgnored = new Counter({
    name: 'opledger_events_duplicate_total',
    help: 'Events ignored because their id was already stored (redeliveries, retries)',
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'opledger_events_rejected_total',
    help: 'Events the store refused (expectedversion conflicts), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly rejectedEvents = new Counter({
    name: 'opledger_rejected_events_total',
    help: 'Well-formed events refused (time_in_future, id_conflict, version_conflict; over Kafka also unstorable), by reason and channel',
    labelNames: ['reason', 'channel'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: 'opledger_dead_letters_total',
    help: 'Inputs written to the dead-letter topic and table, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly appendBatchSize = new Histogram({
    name: 'opledger_append_batch_size',
    help: 'Events per append transaction',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'opledger_append_duration_seconds',
    help: 'Duration of one append transaction (events and projections, commit included)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'opledger_consumer_lag',
    help: 'Records between the committed offset and the end of each partition this instance consumes',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly rebuildProgress = new Gauge({
    name: 'opledger_projection_rebuild_progress_ratio',
    help: 'Progress of the running projection rebuild (0 to 1); 1 when none runs',
    registers: [this.registry],
  });

  readonly rebuildEvents = new Counter({
    name: 'opledger_projection_rebuild_events_total',
    help: 'Events folded by projection rebuilds',
    registers: [this.registry],
  });

  readonly feedHeldEvents = new Gauge({
    name: 'opledger_feed_held_events',
    help: 'Committed events the global feed does not show yet because an older transaction is still running (capped at 100000)',
    registers: [this.registry],
  });

  readonly feedLagSeconds = new Gauge({
    name: 'opledger_feed_lag_seconds',
    help: 'Age of the oldest committed event the global feed holds back (0 when none): how long a long transaction has held the feed',
    registers: [this.registry],
  });

  readonly httpRequestDuration = new Histogram({
    name: 'opledger_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'opledger_' });
    this.rebuildProgress.set(1);
  }

  countAppended(type: string, source: string): void {
    this.eventsAppended.inc({ type: this.types.value(type), source: this.sources.value(source) });
  }
}
