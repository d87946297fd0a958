/**
 * The baseline: the seed's design, written as a user of that design would.
 * One row per operation; every status event is one upsert of that row from
 * kafkajs `eachMessage`, so the last write wins whatever the event's time, and
 * a redelivered or late event overwrites newer facts.
 */
import { Pool } from 'pg';
import { createTimedConsumer, until } from './timed-consumer';

export const SEED_SCHEMA = `
  CREATE TABLE ops (
    id           text PRIMARY KEY,
    status       text NOT NULL,
    stage        text,
    stage_status text,
    metadata     jsonb NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL
  )`;

const UPSERT = `
  INSERT INTO ops (id, status, stage, stage_status, updated_at) VALUES ($1, $2, $3, $4, now())
  ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, stage = COALESCE(EXCLUDED.stage, ops.stage),
    stage_status = COALESCE(EXCLUDED.stage_status, ops.stage_status), updated_at = now()`;
const MERGE_METADATA = `UPDATE ops SET metadata = metadata || $2::jsonb, updated_at = now() WHERE id = $1`;

const STATUS_BY_TYPE: Record<string, [status: string, stageStatus: string | null]> = {
  'operation.created': ['pending', null],
  'stage.started': ['running', 'running'],
  'stage.completed': ['running', 'succeeded'],
  'stage.failed': ['running', 'failed'],
  'stage.skipped': ['running', 'skipped'],
  'operation.completed': ['succeeded', null],
  'operation.failed': ['failed', null],
  'operation.cancelled': ['cancelled', null],
  'operation.restarted': ['running', null],
};

export interface SeedEvent {
  subject: string;
  type: string;
  data?: { stage?: string; metadata?: Record<string, unknown> };
}

/** One statement per event, as the seed's services did. */
export async function applySeedEvent(pool: Pool, event: SeedEvent): Promise<void> {
  if (event.type === 'metadata.updated') {
    await pool.query(MERGE_METADATA, [event.subject, JSON.stringify(event.data?.metadata ?? {})]);
    return;
  }
  const mapped = STATUS_BY_TYPE[event.type];
  if (!mapped) return;
  const [status, stageStatus] = mapped;
  await pool.query(UPSERT, [event.subject, status, event.data?.stage ?? null, stageStatus]);
}

export interface ConsumeOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  databaseUrl: string;
  records: number;
  partitionsConcurrency: number;
  poolSize: number;
  fetchMaxWaitMs: number;
  /** Called with the receive time of every record (latency scenario). */
  onApplied?: (event: SeedEvent & { id: string }, at: number) => void;
}

export interface ConsumeTiming {
  joinedAt: number;
  finishedAt: number;
}

export interface RunningContender {
  /** Resolves with the moment the consumer joined its group. */
  joined: Promise<number>;
  /** Resolves once `records` records have been applied. */
  finished: Promise<ConsumeTiming>;
  stop(): Promise<void>;
}

export async function startSeedDesign(options: ConsumeOptions): Promise<RunningContender> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize });
  const { consumer, joined } = createTimedConsumer(options.brokers, options.groupId, options.fetchMaxWaitMs);
  let applied = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: options.partitionsConcurrency,
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString('utf8')) as SeedEvent & { id: string };
      await applySeedEvent(pool, event);
      applied += 1;
      options.onApplied?.(event, Date.now());
    },
  });
  const finished = (async () => {
    const joinedAt = await joined;
    const finishedAt = await until(() => applied >= options.records);
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
