import type { CloudEvent } from './cloud-event';

/** What the log did with one event; known only when the transport waits for the service (HTTP). */
export interface StoredOutcome {
  status: 'appended' | 'duplicate';
  version: number;
  position: number;
}

export interface SendReceipt {
  eventId: string;
  /** HTTP: the version and position the log assigned. Kafka: null (the broker has it; opledger stores it soon). */
  stored: StoredOutcome | null;
}

/**
 * How events leave the SDK. Every event of one call belongs to one operation and
 * must be delivered in order; a transport may retry, because ids make retries harmless.
 */
export interface EventTransport {
  send(operationId: string, events: readonly CloudEvent[]): Promise<SendReceipt[]>;
  close(): Promise<void>;
}
