import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ResolvedConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { DEAD_LETTER_HEADERS, DeadLetter } from './dead-letter';
import { KafkaGateway, OutgoingRecord } from './kafka/kafka-gateway';

/** Writes refused inputs to the dead-letter topic and the dead_letters table. */
@Injectable()
export class DeadLetterService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const rows: {
      id: string;
      record_key: string | null;
      headers: Record<string, string> | null;
      payload: Buffer | null;
    }[] = await this.dataSource.query(
      `SELECT id, record_key, headers, payload FROM dead_letters WHERE id = ANY($1::bigint[]) AND channel = 'kafka' ORDER BY id`,
      [ids],
    );
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
    await this.dataSource.query(
      `UPDATE dead_letters SET republished_at = now(), republish_count = republish_count + 1 WHERE id = ANY($1::bigint[])`,
      [republished],
    );
    return { republished, notFound: ids.filter((id) => !republished.includes(id)) };
  }

  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.kafka.publish(this.config.kafkaDeadLetterTopic, letters.map(toOutgoing));
    await this.dataSource.query(
      `INSERT INTO dead_letters (reason, detail, channel, topic, partition, "offset", record_key, headers, payload, event_id, operation_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::jsonb[], $9::bytea[], $10::text[], $11::text[])
       ON CONFLICT (topic, partition, "offset") WHERE topic IS NOT NULL DO NOTHING`,
      [
        letters.map((l) => l.rejection.reason),
        letters.map((l) => stripNul(l.rejection.detail)),
        letters.map((l) => l.channel),
        letters.map((l) => l.record?.topic ?? null),
        letters.map((l) => l.record?.partition ?? null),
        letters.map((l) => l.record?.offset ?? null),
        letters.map((l) => (l.record?.key ? stripNul(l.record.key.toString('utf8')) : null)),
        letters.map((l) => (l.record ? JSON.stringify(withoutNul(l.record.headers)) : null)),
        letters.map((l) => l.record?.value ?? null),
        letters.map((l) => (l.eventId === null ? null : stripNul(l.eventId))),
        letters.map((l) => (l.operationId === null ? null : stripNul(l.operationId))),
      ],
    );
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

// Text columns cannot hold NUL; the raw bytes are kept intact in `payload`.
function stripNul(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

function withoutNul(headers: Record<string, string | undefined>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) clean[stripNul(name)] = stripNul(value);
  return clean;
}
