import { DEFAULT_ENVELOPE_LIMITS, type EnvelopeLimits } from '../envelope/parse-cloud-event';
import { buildCloudEvent, type CloudEvent, type JsonObject } from './cloud-event';
import { EventClock, timeOf } from './event-clock';
import { HttpTransport, type HttpTransportOptions } from './http-transport';
import { KafkaTransport, type KafkaTransportOptions } from './kafka-transport';
import type { EventTransport, SendReceipt } from './transport';

/** Where the events go: Kafka (the usual way), HTTP, or a transport of your own. */
export type ClientDestination =
  { kafka: KafkaTransportOptions } | { http: HttpTransportOptions } | { transport: EventTransport };

export type OpledgerClientOptions = ClientDestination & {
  /** The producing service, e.g. `pipeline/enrich-geo`: the `source` of every event. */
  source: string;
  /** Largest `data` allowed; keep it at the service's MAX_EVENT_DATA_BYTES. Default 256 KiB. */
  maxDataBytes?: number;
};

export interface EmitOptions {
  /** Your own event id: send the same id again to retry without risk of a duplicate. Default: a fresh UUID. */
  id?: string;
  /** Stored only if the operation is at exactly this version (0: it must not exist yet); else refused. */
  expectedVersion?: number;
  /** When it happened, if not now (an event reported late keeps its real time). */
  time?: Date | string;
  /** Another source than the client's for this one event. */
  source?: string;
}

/** The receipt of one event: the event as sent and, over HTTP, what the log assigned to it. */
export interface EmitResult extends SendReceipt {
  event: CloudEvent;
}

/**
 * Reports what happens to an operation, one method per event type of
 * docs/events.md. Events are validated before they leave, stamped with a fresh
 * id and a time from a clock that never goes back, and keyed by operation id.
 */
export class OpledgerClient {
  private readonly transport: EventTransport;
  private readonly clock = new EventClock();
  private readonly limits: EnvelopeLimits;
  readonly source: string;

  constructor(options: OpledgerClientOptions) {
    this.source = options.source;
    this.limits = { maxDataBytes: options.maxDataBytes ?? DEFAULT_ENVELOPE_LIMITS.maxDataBytes };
    this.transport =
      'transport' in options
        ? options.transport
        : 'kafka' in options
          ? new KafkaTransport(options.kafka)
          : new HttpTransport(options.http);
  }

  created(operationId: string, data?: JsonObject, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'operation.created', data, options);
  }

  stageStarted(operationId: string, stage: string, data?: JsonObject, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'stage.started', { ...data, stage }, options);
  }

  stageCompleted(operationId: string, stage: string, data?: JsonObject, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'stage.completed', { ...data, stage }, options);
  }

  /** `error`: a message, an Error (its name and message are sent) or any JSON value. */
  stageFailed(operationId: string, stage: string, error: unknown, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'stage.failed', { stage, error: errorData(error) }, options);
  }

  stageSkipped(operationId: string, stage: string, reason?: string, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'stage.skipped', { stage, ...(reason === undefined ? {} : { reason }) }, options);
  }

  completed(operationId: string, result?: unknown, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'operation.completed', result === undefined ? undefined : { result }, options);
  }

  failed(operationId: string, error: unknown, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'operation.failed', { error: errorData(error) }, options);
  }

  cancelled(operationId: string, reason?: string, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'operation.cancelled', reason === undefined ? undefined : { reason }, options);
  }

  restarted(operationId: string, data?: JsonObject, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'operation.restarted', data, options);
  }

  /** Merged per top-level key; a `null` value deletes the key. */
  updateMetadata(operationId: string, metadata: JsonObject, options?: EmitOptions): Promise<EmitResult> {
    return this.emit(operationId, 'metadata.updated', { metadata }, options);
  }

  /**
   * Runs `work` as one attempt of a stage: `stage.started` before it, then
   * `stage.completed` when it resolves, or `stage.failed` with the error it
   * throws (thrown again to the caller).
   */
  async runStage<T>(operationId: string, stage: string, work: () => Promise<T>): Promise<T> {
    await this.stageStarted(operationId, stage);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.stageFailed(operationId, stage, error);
      throw error;
    }
    await this.stageCompleted(operationId, stage);
    return result;
  }

  /** Any event type (types opledger does not know are kept in the history and ignored by the state). */
  async emit(operationId: string, type: string, data?: JsonObject, options: EmitOptions = {}): Promise<EmitResult> {
    const event = this.build(operationId, type, data, options);
    const [receipt] = await this.transport.send(operationId, [event]);
    return { ...receipt, event };
  }

  /** Builds and validates an event without sending it (for tests, or a batch sent through `sendBatch`). */
  build(operationId: string, type: string, data?: JsonObject, options: EmitOptions = {}): CloudEvent {
    return buildCloudEvent(
      {
        operationId,
        type,
        source: options.source ?? this.source,
        time: options.time === undefined ? this.clock.next() : timeOf(options.time),
        data,
        id: options.id,
        expectedVersion: options.expectedVersion,
      },
      this.limits,
    );
  }

  /** Sends events built with `build`, in order, in one request or produce call. */
  async sendBatch(operationId: string, events: readonly CloudEvent[]): Promise<EmitResult[]> {
    const foreign = events.find((event) => event.subject !== operationId);
    if (foreign) throw new TypeError(`event ${foreign.id} is for "${foreign.subject}", not "${operationId}"`);
    if (events.length === 0) return [];
    const receipts = await this.transport.send(operationId, events);
    return receipts.map((receipt, index) => ({ ...receipt, event: events[index] }));
  }

  /** Flushes and disconnects (Kafka); call once when the service stops. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

/** An Error does not survive JSON.stringify (its fields are not enumerable): send what a reader needs. */
function errorData(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return error ?? null;
}
