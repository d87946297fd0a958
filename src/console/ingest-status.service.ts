import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { canonicalTimeOfDate } from '../envelope/event-time';
import { DeadLetterStore } from '../ingest/dead-letters/dead-letter-store';
import { KafkaIngestService } from '../ingest/kafka-ingest.service';
import { MetricsService } from '../metrics/metrics.service';
import type { IngestStatusView } from './ingest-status';

/** How long one lag measurement serves every caller: one broker round trip per interval, whatever the number of consoles. */
const LAG_TTL_MS = 2000;
const LAG_TIMEOUT_MS = 2000;
/** The dead-letter count is kept up to date incrementally; a full recount this often corrects rows committed out of id order. */
const FULL_RECOUNT_MS = 5 * 60_000;

/**
 * The cheap answers to "is ingest keeping up?": consumer lag from the broker (cached briefly) and
 * the number of dead letters, counted incrementally (rows after the highest id already counted use
 * the primary key), so that a console refreshing every few seconds never scans the table.
 */
@Injectable()
export class IngestStatusService {
  private readonly logger = new Logger('IngestStatus');
  private lagCache: { at: number; value: Promise<Pick<IngestStatusView, 'lag' | 'lagError'>> } | null = null;
  private deadLetters = { throughId: '0', total: 0, newestAt: null as string | null, countedAt: 0 };
  private counting: Promise<IngestStatusView['deadLetters']> | null = null;

  constructor(
    private readonly ingest: KafkaIngestService,
    private readonly metrics: MetricsService,
    private readonly deadLetterStore: DeadLetterStore,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  async status(): Promise<IngestStatusView> {
    const ingest = this.ingest.status();
    const [lag, deadLetters] = await Promise.all([this.lag(ingest.enabled && ingest.running), this.countDeadLetters()]);
    return {
      consumer: {
        enabled: ingest.enabled,
        connected: ingest.consumer.connected,
        joinedGroup: ingest.consumer.joinedGroup,
        partitions: [...ingest.consumer.assignedPartitions].sort((a, b) => a - b),
      },
      ...lag,
      deadLetters,
    };
  }

  private lag(running: boolean): Promise<Pick<IngestStatusView, 'lag' | 'lagError'>> {
    if (!running)
      return Promise.resolve({ lag: null, lagError: this.config.ingestEnabled ? 'ingest is not running' : null });
    if (this.lagCache && Date.now() - this.lagCache.at < LAG_TTL_MS) return this.lagCache.value;
    const value = this.measureLag();
    this.lagCache = { at: Date.now(), value };
    return value;
  }

  private async measureLag(): Promise<Pick<IngestStatusView, 'lag' | 'lagError'>> {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the broker did not answer within ${LAG_TIMEOUT_MS} ms`)),
          LAG_TIMEOUT_MS,
        );
      });
      // The same measurement as /metrics' opledger_consumer_lag gauge, read back from it.
      await Promise.race([this.ingest.refreshLagMetric(), timeout]).finally(() => clearTimeout(timer));
      const partitions = (await this.metrics.consumerLag.get()).values
        .filter((sample) => sample.labels.topic === this.config.kafkaTopic)
        .map((sample) => ({ partition: Number(sample.labels.partition), lag: sample.value }))
        .sort((a, b) => a.partition - b.partition);
      const total = partitions.reduce((sum, p) => sum + p.lag, 0);
      return { lag: { total, partitions, measuredAt: canonicalTimeOfDate(new Date()) }, lagError: null };
    } catch (error) {
      this.logger.warn(`consumer lag unavailable: ${String(error)}`);
      return { lag: null, lagError: error instanceof Error ? error.message : String(error) };
    }
  }

  private countDeadLetters(): Promise<IngestStatusView['deadLetters']> {
    // Concurrent callers share one count.
    this.counting ??= this.updateDeadLetterCount().finally(() => (this.counting = null));
    return this.counting;
  }

  private async updateDeadLetterCount(): Promise<IngestStatusView['deadLetters']> {
    const full = Date.now() - this.deadLetters.countedAt > FULL_RECOUNT_MS;
    const after = full ? '0' : this.deadLetters.throughId;
    const row = await this.deadLetterStore.countAfter(after);
    const counted = row.count;
    const newestAt = row.newest ? canonicalTimeOfDate(new Date(row.newest)) : null;
    this.deadLetters = full
      ? { throughId: row.maxId ?? '0', total: counted, newestAt, countedAt: Date.now() }
      : {
          ...this.deadLetters,
          throughId: row.maxId ?? this.deadLetters.throughId,
          total: this.deadLetters.total + counted,
          newestAt: newestAt ?? this.deadLetters.newestAt,
        };
    return { total: this.deadLetters.total, newestAt: this.deadLetters.newestAt };
  }
}
