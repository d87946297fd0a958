/**
 * The only file that knows kafkajs. The rest of the service sees
 * IncomingRecord / IncomingBatch and a publish function, so that replacing the
 * client (kafkajs is in maintenance mode) touches this one place.
 */
import { Logger } from '@nestjs/common';
import { Admin, Consumer, EachBatchPayload, Kafka, logLevel, LogEntry, Partitioners, Producer } from 'kafkajs';
import type { IncomingRecord } from '../../envelope/parse-kafka-record';
import { isCoordinatorUnreachable, rejoinRequest } from './coordinator-loss';
import { retryWhilePropagating } from './metadata-propagation';

export interface IncomingBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** False once the consumer is stopping or the partition was revoked: stop and commit nothing. */
  isActive(): boolean;
  heartbeat(): Promise<void>;
  /** Commits the partition's offset so that consumption resumes after `lastOffset`. */
  commitThrough(lastOffset: string): Promise<void>;
}

export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}

export interface KafkaGatewayOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  fetchMaxWaitMs: number;
  partitionsConsumedConcurrently: number;
  /**
   * Record bytes one fetch from one broker may bring, and of those one partition's. kafkajs fetches
   * from a broker again only after every batch of its previous fetch was handled, so what it holds
   * is at most one fetch per broker (a first record batch larger than these still comes whole).
   */
  fetchMaxBytes: number;
  fetchMaxBytesPerPartition: number;
  /** How long the group waits for a silent member before moving its partitions. */
  sessionTimeoutMs: number;
}

export interface ConsumerStatus {
  connected: boolean;
  joinedGroup: boolean;
  crashed: string | null;
  assignedPartitions: number[];
}

function toNestLogger(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const line = `${message} ${JSON.stringify(extra)}`;
      if (level === logLevel.ERROR) logger.error(line);
      else if (level === logLevel.WARN) logger.warn(line);
      else logger.debug(line);
    };
}

export class KafkaGateway {
  private readonly logger = new Logger('Kafka');
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly status: ConsumerStatus = {
    connected: false,
    joinedGroup: false,
    crashed: null,
    assignedPartitions: [],
  };

  constructor(private readonly options: KafkaGatewayOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: toNestLogger(this.logger),
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    });
    // Dead letters are at-least-once anyway (a redelivered batch re-publishes them), so the
    // producer needs no idempotence; acks=all on send keeps them durable.
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  }

  async ensureTopics(topics: { name: string; partitions: number }[]): Promise<void> {
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await this.admin.createTopics({
        // Waited for below: kafkajs' own wait gives up while the new topic reaches the other brokers.
        waitForLeaders: false,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })),
      });
    }
    const admin = this.admin;
    await retryWhilePropagating(
      async () => {
        const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
        const leaderless = described.filter((t) => t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
        if (leaderless.length > 0) {
          throw Object.assign(new Error(`no leader yet for ${leaderless.join(', ')}`), {
            type: 'LEADER_NOT_AVAILABLE',
          });
        }
      },
      { onRetry: this.logPropagationRetry('topic metadata') },
    );
  }

  private logPropagationRetry(what: string) {
    return (attempt: number, error: unknown) =>
      this.logger.warn(`${what}: not on every broker yet (attempt ${attempt}): ${String(error)}`);
  }

  async publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.connect();
    await this.producer.send({ topic, messages: records, acks: -1 });
  }

  async consume(topic: string, handle: (batch: IncomingBatch) => Promise<void>): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs,
      maxBytes: this.options.fetchMaxBytes,
      maxBytesPerPartition: this.options.fetchMaxBytesPerPartition,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.max(1_000, Math.floor(this.options.sessionTimeoutMs / 10)),
      // A fetch error from one broker (its partitions' leader died) stops every partition until the
      // runner retries, and kafkajs never resets that retry's count while the consumer runs: after a
      // few faults each later one costs the full cap. 2 s (not 10 s) bounds that pause after a leader
      // election (test/chaos/broker-leader-loss.chaos.ts, docs/reliability.md).
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 2_000 },
    });
    this.consumer = consumer;
    const { CONNECT, DISCONNECT, GROUP_JOIN, CRASH, STOP } = consumer.events;
    consumer.on(CONNECT, () => (this.status.connected = true));
    consumer.on(DISCONNECT, () => {
      this.status.connected = false;
      this.status.joinedGroup = false;
    });
    consumer.on(STOP, () => (this.status.joinedGroup = false));
    consumer.on(GROUP_JOIN, (event) => {
      this.status.joinedGroup = true;
      this.status.crashed = null;
      this.status.assignedPartitions = event.payload.memberAssignment[topic] ?? [];
    });
    consumer.on(CRASH, (event) => {
      this.status.joinedGroup = false;
      this.status.crashed = event.payload.restart ? null : String(event.payload.error);
      this.logger.warn(`consumer crashed (restart: ${event.payload.restart}): ${String(event.payload.error)}`);
    });

    await consumer.connect();
    await retryWhilePropagating(() => consumer.subscribe({ topic, fromBeginning: true }), {
      onRetry: this.logPropagationRetry(`subscribe to ${topic}`),
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: async (payload) => handle(this.toIncomingBatch(consumer, payload)),
    });
  }

  private toIncomingBatch(consumer: Consumer, payload: EachBatchPayload): IncomingBatch {
    const { batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary } = payload;
    return {
      topic: batch.topic,
      partition: batch.partition,
      records: batch.messages.map((message) => ({
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: decodeHeaders(message.headers),
      })),
      isActive: () => isRunning() && !isStale(),
      heartbeat: () => this.viaCoordinator('heartbeat', heartbeat),
      commitThrough: async (lastOffset: string) => {
        resolveOffset(lastOffset);
        // Through the batch payload, not consumer.commitOffsets(): kafkajs drops the latter once the
        // consumer is stopping, which would leave the batch finished during a graceful shutdown uncommitted.
        await this.viaCoordinator('offset commit', () =>
          commitOffsetsIfNecessary({
            topics: [
              {
                topic: batch.topic,
                partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }],
              },
            ],
          }),
        );
      },
    };
  }

  /** A call to the group coordinator; if the coordinator is gone, the error makes kafkajs rejoin and find the new one. */
  private async viaCoordinator<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isCoordinatorUnreachable(error)) throw error;
      this.logger.warn(`${what} failed, the group coordinator is unreachable: rejoining (${String(error)})`);
      throw rejoinRequest(what, error);
    }
  }

  /** Per assigned partition: records between the group's committed offset and the partition's end. */
  async consumerLag(topic: string): Promise<{ partition: number; lag: number }[]> {
    const partitions = this.status.assignedPartitions;
    if (partitions.length === 0) return [];
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] }),
    ]);
    const committedByPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return ends
      .filter((end) => partitions.includes(end.partition))
      .map((end) => {
        const done = committedByPartition.get(end.partition) ?? -1n;
        const start = done >= 0n ? done : BigInt(end.low);
        return { partition: end.partition, lag: Number(BigInt(end.high) - start) };
      });
  }

  consumerStatus(): ConsumerStatus {
    return { ...this.status, assignedPartitions: [...this.status.assignedPartitions] };
  }

  /** Stops fetching, lets the batch in flight finish, then closes every connection. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer.disconnect();
    await this.admin?.disconnect();
  }
}

function decodeHeaders(headers: EachBatchPayload['batch']['messages'][number]['headers']): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) decoded[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return decoded;
}
