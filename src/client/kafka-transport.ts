/**
 * The SDK's only kafkajs importer: everything else sees an EventTransport.
 */
import { Kafka, logLevel, Partitioners, type Producer, type SASLOptions } from 'kafkajs';
import type { CloudEvent } from './cloud-event';
import type { EventTransport, SendReceipt } from './transport';

export interface KafkaTransportOptions {
  brokers: string[];
  /** Default `operation-events`, the service's KAFKA_TOPIC default. */
  topic?: string;
  clientId?: string;
  ssl?: boolean;
  sasl?: SASLOptions;
}

export const DEFAULT_TOPIC = 'operation-events';

/**
 * Produces structured-mode CloudEvents keyed by operation id, so one operation's
 * events stay on one partition and in order. The producer is idempotent: a
 * retry inside kafkajs cannot write a record twice (and if the caller resends,
 * opledger drops the duplicate by event id). Connects on first use.
 */
export class KafkaTransport implements EventTransport {
  private readonly producer: Producer;
  private readonly topic: string;
  private connecting: Promise<void> | null = null;

  constructor(options: KafkaTransportOptions) {
    const kafka = new Kafka({
      clientId: options.clientId ?? 'opledger-client',
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl,
      // A library must not write to the caller's console; a send that fails in the end rejects.
      logLevel: logLevel.NOTHING,
    });
    // Idempotence needs at most one request in flight to keep the order of a key.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.topic = options.topic ?? DEFAULT_TOPIC;
  }

  async send(operationId: string, events: readonly CloudEvent[]): Promise<SendReceipt[]> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    await this.connecting;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((event) => ({
        key: operationId,
        value: JSON.stringify(event),
        headers: { 'content-type': 'application/cloudevents+json' },
      })),
    });
    return events.map((event) => ({ eventId: event.id, stored: null }));
  }

  async close(): Promise<void> {
    if (this.connecting === null) return;
    await this.connecting.catch(() => undefined);
    this.connecting = null;
    await this.producer.disconnect();
  }
}
