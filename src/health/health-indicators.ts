import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { EventStore } from '../event-store/event-store.service';
import { KafkaIngestService } from '../ingest/kafka-ingest.service';

/** The two dependencies readiness depends on, as terminus health indicators. */
@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly store: EventStore,
    private readonly ingest: KafkaIngestService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  async database() {
    const check = this.indicators.check('database');
    try {
      await this.store.ping();
      return check.up();
    } catch (error) {
      return check.down({ message: String(error).slice(0, 200) });
    }
  }

  /**
   * Up when the consumer is in its group and not stuck: a batch that has been
   * waiting for Postgres longer than INGEST_STALL_TIMEOUT_MS counts as stuck.
   */
  kafkaConsumer() {
    const check = this.indicators.check('kafkaConsumer');
    const status = this.ingest.status();
    const partitions = status.consumer.assignedPartitions;
    if (!status.enabled) return check.up({ mode: 'disabled', partitions });
    if (!status.running || !status.consumer.connected || !status.consumer.joinedGroup) {
      return check.down({ message: status.consumer.crashed ?? 'not in its consumer group', partitions });
    }
    const stalledMs = status.retryingSince ? Date.now() - status.retryingSince.getTime() : 0;
    if (stalledMs > this.config.ingestStallTimeoutMs) {
      return check.down({
        message: `a batch has waited ${Math.round(stalledMs / 1000)} s for the database`,
        partitions,
      });
    }
    return check.up({ partitions });
  }
}
