import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { failpoints } from '../common/failpoints';
import { APP_CONFIG, ResolvedConfig } from '../config/app-config';
import { checkClockSkew } from '../envelope/clock-skew';
import type { OperationEvent } from '../envelope/operation-event';
import type { ParseResult } from '../envelope/parse-cloud-event';
import { IncomingRecord, parseKafkaRecord } from '../envelope/parse-kafka-record';
import { AppendEventsCommand } from '../event-store/commands/append-events.command';
import type { AppendOutcome } from '../event-store/event-store.service';
import { isTransientDatabaseError } from '../event-store/transient-errors';
import { MetricsService } from '../metrics/metrics.service';
import { AppendCoalescer } from './append-coalescer';
import { DeadLetter } from './dead-letters/dead-letter';
import { DeadLetterService } from './dead-letters/dead-letter.service';
import { IncomingBatch, KafkaGateway } from './kafka/kafka-gateway';
import { InFlightBudget } from './in-flight-budget';
import { chunkRecords, recordBytes } from './record-chunks';
import { backoffDelayMs } from './retry-backoff';

class BatchAbandoned extends Error {
  constructor() {
    super('consumer stopping or partition revoked: batch left uncommitted for redelivery');
  }
}

/** Where a chunk is, for a failpoint's report. */
const chunkOf = (batch: IncomingBatch, chunk: IncomingRecord[]) => ({
  partition: batch.partition,
  firstOffset: chunk[0].offset,
  lastOffset: chunk[chunk.length - 1].offset,
});

export interface IngestStatus {
  /** False when INGEST_ENABLED=false: this instance serves the REST API only. */
  enabled: boolean;
  running: boolean;
  consumer: ReturnType<KafkaGateway['consumerStatus']>;
  /** Since when the database has been failing for the batch in flight, if it is. */
  retryingSince: Date | null;
  /** Record bytes handed over by kafkajs and not yet handled (batches), and the most there ever were. */
  fetched: { bytes: number; highWaterBytes: number };
  /** Record bytes parsed, waiting for or in an append (INGEST_IN_FLIGHT_MAX_BYTES). */
  inFlight: ReturnType<InFlightBudget['snapshot']>;
}

/**
 * Consumes the operation-events topic: each bounded chunk of a fetched batch
 * is appended (merged with the chunks other partitions hand in at the same
 * time); the offset is committed only after it (and the dead letters of that
 * chunk) are durable.
 */
@Injectable()
export class KafkaIngestService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KafkaIngest');
  private running = false;
  private retryingSince: Date | null = null;
  private readonly coalescer: AppendCoalescer;
  private readonly inFlight: InFlightBudget;
  private readonly fetched = { bytes: 0, highWaterBytes: 0 };

  constructor(
    private readonly kafka: KafkaGateway,
    private readonly commandBus: CommandBus,
    private readonly deadLetters: DeadLetterService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {
    this.coalescer = new AppendCoalescer((events) => this.commandBus.execute(new AppendEventsCommand(events)), {
      maxEvents: config.ingestBatchMaxEvents,
      maxInFlight: 2,
    });
    this.inFlight = new InFlightBudget(config.ingestInFlightMaxBytes);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ingestEnabled) return;
    await this.kafka.ensureTopics([
      { name: this.config.kafkaTopic, partitions: this.config.kafkaTopicPartitions },
      { name: this.config.kafkaDeadLetterTopic, partitions: this.config.kafkaTopicPartitions },
    ]);
    await this.kafka.consume(this.config.kafkaTopic, (batch) => this.processBatch(batch));
    this.running = true;
    this.logger.log(`consuming ${this.config.kafkaTopic} as group ${this.config.kafkaGroupId}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.kafka.stop();
    if (failpoints.on) await failpoints.reach('shutdown.consumer-stopped');
  }

  /** Updates the consumer-lag gauge; called when Prometheus scrapes. */
  async refreshLagMetric(): Promise<void> {
    if (!this.running) return;
    const lags = await this.kafka.consumerLag(this.config.kafkaTopic);
    this.metrics.consumerLag.reset();
    for (const { partition, lag } of lags) {
      this.metrics.consumerLag.set({ topic: this.config.kafkaTopic, partition: String(partition) }, lag);
    }
  }

  status(): IngestStatus {
    return {
      enabled: this.config.ingestEnabled,
      running: this.running,
      consumer: this.kafka.consumerStatus(),
      retryingSince: this.retryingSince,
      fetched: { ...this.fetched },
      inFlight: this.inFlight.snapshot(),
    };
  }

  private async processBatch(batch: IncomingBatch): Promise<void> {
    const batchBytes = batch.records.reduce((sum, record) => sum + recordBytes(record), 0);
    this.fetched.bytes += batchBytes;
    this.fetched.highWaterBytes = Math.max(this.fetched.highWaterBytes, this.fetched.bytes);
    try {
      // Half the budget at most per chunk, so that two chunks (from any partitions) can be appended at once.
      const maxChunkBytes = Math.max(1, Math.floor(this.inFlight.capacityBytes / 2));
      for (const chunk of chunkRecords(batch.records, this.config.ingestBatchMaxEvents, maxChunkBytes)) {
        if (!batch.isActive()) return;
        const release = await this.inFlight.acquire(chunk.bytes);
        try {
          if (!batch.isActive()) return;
          await this.processChunk(batch, chunk.records);
        } finally {
          release();
        }
        const { records } = chunk;
        if (failpoints.on) await failpoints.reach('ingest.after-append', () => chunkOf(batch, records));
        await batch.commitThrough(records[records.length - 1].offset);
        await batch.heartbeat();
      }
    } finally {
      this.fetched.bytes -= batchBytes;
    }
  }

  private async processChunk(batch: IncomingBatch, chunk: IncomingRecord[]): Promise<void> {
    const events: OperationEvent[] = [];
    const records: IncomingRecord[] = [];
    const letters: DeadLetter[] = [];
    const now = Date.now();
    for (const record of chunk) {
      const parsed = this.parse(record);
      if (!parsed.ok) {
        letters.push({ rejection: parsed.rejection, channel: 'kafka', record, eventId: null, operationId: null });
        continue;
      }
      const { event } = parsed;
      const ahead = checkClockSkew(event, now, this.config.maxClockSkewMs);
      if (ahead) {
        this.metrics.rejectedEvents.inc({ reason: ahead.reason, channel: 'kafka' });
        letters.push({
          rejection: ahead,
          channel: 'kafka',
          record,
          eventId: event.id,
          operationId: event.operationId,
        });
        continue;
      }
      events.push(event);
      records.push(record);
    }

    if (failpoints.on) await failpoints.reach('ingest.before-append', () => chunkOf(batch, chunk));
    const outcomes = await this.withRetry(batch, () => this.appendOrIsolate(events));
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected') {
        this.metrics.rejectedEvents.inc({ reason: outcome.rejection.reason, channel: 'kafka' });
        letters.push({
          rejection: outcome.rejection,
          channel: 'kafka',
          record: records[index],
          eventId: outcome.eventId,
          operationId: outcome.operationId,
        });
      }
    });
    if (letters.length > 0) {
      letters.sort((a, b) => Number(BigInt(a.record!.offset) - BigInt(b.record!.offset)));
      await this.withRetry(batch, () => this.deadLetters.record(letters));
    }
  }

  /** Never throws: whatever the bytes, a record is either an event or a dead letter. */
  private parse(record: IncomingRecord): ParseResult {
    try {
      return parseKafkaRecord(record, { maxDataBytes: this.config.maxEventDataBytes });
    } catch (error) {
      return {
        ok: false,
        rejection: { reason: 'invalid_envelope', detail: `unreadable record: ${String(error).slice(0, 200)}` },
      };
    }
  }

  /**
   * One transaction for the whole chunk (merged with other partitions' chunks
   * by the coalescer); if Postgres refuses it for a reason that is not
   * transient, the events are tried one by one so that a single unstorable
   * event is dead-lettered instead of blocking its partition.
   */
  private async appendOrIsolate(events: OperationEvent[]): Promise<AppendOutcome[]> {
    try {
      return await this.coalescer.append(events);
    } catch (error) {
      if (isTransientDatabaseError(error) || events.length === 0) throw error;
      this.logger.warn(`append of ${events.length} events refused (${String(error)}); isolating the culprit`);
      const outcomes: AppendOutcome[] = [];
      for (const event of events) {
        try {
          outcomes.push(...(await this.commandBus.execute(new AppendEventsCommand([event]))));
        } catch (single) {
          if (isTransientDatabaseError(single)) throw single;
          outcomes.push({
            status: 'rejected',
            eventId: event.id,
            operationId: event.operationId,
            headVersion: -1,
            rejection: { reason: 'unstorable', detail: `Postgres refused the event: ${String(single).slice(0, 300)}` },
          });
        }
      }
      return outcomes;
    }
  }

  /** Retries transient database failures with backoff, keeping the group session alive. */
  private async withRetry<T>(batch: IncomingBatch, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await work();
        this.retryingSince = null;
        return result;
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        this.retryingSince ??= new Date();
        const delay = backoffDelayMs(attempt, 100, this.config.ingestRetryMaxBackoffMs);
        this.logger.warn(
          `transient failure on partition ${batch.partition} (attempt ${attempt + 1}), retrying in ${delay} ms: ${String(error)}`,
        );
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (!batch.isActive()) throw new BatchAbandoned();
          await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
          await batch.heartbeat().catch(() => undefined);
        }
      }
    }
  }
}
