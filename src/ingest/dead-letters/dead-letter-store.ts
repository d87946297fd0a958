import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DeadLetter } from './dead-letter';

/** A row of dead_letters as the list reads it (bigints as strings, as pg returns them). */
export interface DeadLetterRow {
  id: string;
  reason: string;
  detail: string;
  channel: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  record_key: string | null;
  headers: Record<string, string> | null;
  payload: Buffer | null;
  event_id: string | null;
  operation_id: string | null;
  created_at: Date;
  republished_at: Date | null;
  republish_count: number;
}

/** A Kafka dead letter as it arrived, to be sent again. */
export interface RepublishableRecord {
  id: string;
  record_key: string | null;
  headers: Record<string, string> | null;
  payload: Buffer | null;
}

/** The dead_letters table: the only SQL that names it. */
@Injectable()
export class DeadLetterStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores refused inputs; a Kafka record already stored (same topic, partition, offset) is kept once. */
  async record(letters: readonly DeadLetter[]): Promise<void> {
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
  }

  /** The Kafka records among `ids`, in id order (inputs that came over HTTP have none). */
  findKafkaRecords(ids: readonly number[]): Promise<RepublishableRecord[]> {
    return this.dataSource.query(
      `SELECT id, record_key, headers, payload FROM dead_letters WHERE id = ANY($1::bigint[]) AND channel = 'kafka' ORDER BY id`,
      [ids],
    );
  }

  async markRepublished(ids: readonly number[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE dead_letters SET republished_at = now(), republish_count = republish_count + 1 WHERE id = ANY($1::bigint[])`,
      [ids],
    );
  }

  /** Newest first: up to `limit` rows with an id below `beforeId` (null: from the newest). */
  list(beforeId: number | null, limit: number): Promise<DeadLetterRow[]> {
    return beforeId === null
      ? this.dataSource.query('SELECT * FROM dead_letters ORDER BY id DESC LIMIT $1', [limit])
      : this.dataSource.query('SELECT * FROM dead_letters WHERE id < $1 ORDER BY id DESC LIMIT $2', [beforeId, limit]);
  }

  /** How many dead letters have an id above `afterId`, the highest such id and the newest's time (primary key range). */
  async countAfter(afterId: string): Promise<{ count: number; maxId: string | null; newest: Date | null }> {
    const [row]: { n: string; max_id: string | null; newest: Date | null }[] = await this.dataSource.query(
      `SELECT count(*) AS n, max(id)::text AS max_id, max(created_at) AS newest FROM dead_letters WHERE id > $1`,
      [afterId],
    );
    return { count: Number(row.n), maxId: row.max_id, newest: row.newest };
  }
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
