/**
 * The ceiling: what it costs just to get the same events from Kafka into a
 * table of the log's exact layout (same columns, same unique indexes), with
 * COPY, one COPY per fetched batch, and no projection at all. Duplicates are
 * dropped and versions assigned in memory, the cheapest possible stand-in for
 * what the service does in the database.
 */
import { Pool } from 'pg';
import { copyFrom, copyRow } from '../support/pg-copy';
import { EVENT_COPY_COLUMNS } from '../workload/event-log-loader';
import type { ConsumeOptions, RunningContender } from './seed-design';
import { commitBatch, createTimedConsumer, until } from './timed-consumer';

interface RawEvent {
  id: string;
  subject: string;
  type: string;
  source: string;
  time: string;
  data?: unknown;
}

export async function startCopyCeiling(options: ConsumeOptions): Promise<RunningContender> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize });
  const { consumer, joined } = createTimedConsumer(options.brokers, options.groupId, options.fetchMaxWaitMs);
  const seen = new Set<string>();
  const versions = new Map<string, number>();
  let consumed = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.partitionsConcurrency,
    eachBatch: async (payload) => {
      let text = '';
      for (const message of payload.batch.messages) {
        const event = JSON.parse(message.value!.toString('utf8')) as RawEvent;
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        const version = (versions.get(event.subject) ?? 0) + 1;
        versions.set(event.subject, version);
        text += copyRow([
          event.subject,
          version,
          event.id,
          event.type,
          event.source,
          event.time,
          event.data === undefined ? null : JSON.stringify(event.data),
        ]);
      }
      if (text.length > 0) {
        const client = await pool.connect();
        try {
          await copyFrom(client, `COPY operation_events (${EVENT_COPY_COLUMNS}) FROM STDIN`, [Buffer.from(text)]);
        } finally {
          client.release();
        }
      }
      await commitBatch(consumer, payload);
      consumed += payload.batch.messages.length;
    },
  });
  const finished = (async () => {
    const joinedAt = await joined;
    const finishedAt = await until(() => consumed >= options.records);
    return { joinedAt, finishedAt };
  })();
  return {
    joined,
    finished,
    stop: async () => {
      await consumer.disconnect();
      await pool.end();
    },
  };
}
