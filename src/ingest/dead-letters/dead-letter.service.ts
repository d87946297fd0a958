import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, ResolvedConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { KafkaGateway, OutgoingRecord } from '../kafka/kafka-gateway';
import { DEAD_LETTER_HEADERS, DeadLetter } from './dead-letter';
import { DeadLetterStore } from './dead-letter-store';

/** Writes refused inputs to the dead-letter topic and the dead_letters table (DeadLetterStore). */
@Injectable()
export class DeadLetterService {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly kafka: KafkaGateway,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /**
   * Sends chosen dead letters back to the main topic, as they arrived (key, value,
   * original headers), after the cause was fixed. If they fail again they come
   * back as new dead letters.
   */
  async republish(ids: readonly number[]): Promise<RepublishResult> {
    const rows = await this.store.findKafkaRecords(ids);
    const records = rows.map((row) => ({
      key: row.record_key,
      value: row.payload,
      headers: {
        ...Object.fromEntries(
          Object.entries(row.headers ?? {}).filter(([name]) => !name.startsWith(OUR_HEADER_PREFIX)),
        ),
        [REPUBLISHED_FROM_HEADER]: row.id,
      },
    }));
    await this.kafka.publish(this.config.kafkaTopic, records);
    const republished = rows.map((row) => Number(row.id));
    await this.store.markRepublished(republished);
    return { republished, notFound: ids.filter((id) => !republished.includes(id)) };
  }

  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.kafka.publish(this.config.kafkaDeadLetterTopic, letters.map(toOutgoing));
    await this.store.record(letters);
    for (const letter of letters) this.metrics.deadLetters.inc({ reason: letter.rejection.reason });
  }
}

export interface RepublishResult {
  republished: number[];
  /** Ids with no Kafka record to re-publish (unknown ids, or inputs that did not come from Kafka). */
  notFound: number[];
}

const OUR_HEADER_PREFIX = 'x-opledger-';
export const REPUBLISHED_FROM_HEADER = 'x-opledger-republished-from';

function toOutgoing(letter: DeadLetter): OutgoingRecord {
  const headers: Record<string, string> = { ...(letter.record?.headers ?? {}) } as Record<string, string>;
  headers[DEAD_LETTER_HEADERS.reason] = letter.rejection.reason;
  headers[DEAD_LETTER_HEADERS.detail] = letter.rejection.detail;
  if (letter.rejection.field) headers[DEAD_LETTER_HEADERS.field] = letter.rejection.field;
  if (letter.record) {
    headers[DEAD_LETTER_HEADERS.originalTopic] = letter.record.topic;
    headers[DEAD_LETTER_HEADERS.originalPartition] = String(letter.record.partition);
    headers[DEAD_LETTER_HEADERS.originalOffset] = letter.record.offset;
  }
  return { key: letter.record?.key ?? null, value: letter.record?.value ?? null, headers };
}
