import type { Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { INT4_MAX } from '../common/integer-range';
import type { StoredEvent } from '../envelope/operation-event';
import { compareFeedCursors, encodeFeedCursor, FEED_START, type FeedCursor } from '../contract/feed-cursor';
import type { EventStore, FeedEvent } from '../event-store/event-store.service';
import { presentEvent } from '../common/event-presenter';
import type { OperationState } from '../projection/operation-fold';
import type { FeedListener } from './feed-broadcaster';
import { SseWriter } from './sse';

/** Rows per catch-up read. */
const PAGE_SIZE = 500;
/**
 * Live events a stream holds while its client or its catch-up is slow. Beyond that the
 * buffer is dropped and the stream catches up from the log again: memory stays bounded
 * and nothing is lost, because the log has everything the buffer had.
 */
const MAX_BUFFERED_EVENTS = 5000;

export interface StreamContext {
  store: EventStore;
  logger: Logger;
  heartbeatMs: number;
}

export interface StreamStart {
  response: ServerResponse;
  /** Headers already set on the reply (by hooks), sent along with the SSE ones. */
  headers: Record<string, string | number | string[]>;
  /** HEAD request: send the headers and end. */
  headersOnly: boolean;
}

/**
 * One open event stream. It subscribes to the FeedBroadcaster BEFORE it reads the log,
 * buffers what the broadcaster hands it meanwhile, catches up from the log, then drains
 * the buffer. Every event is sent only if its key (feed cursor or version) is above the
 * last one sent, so the overlap between catch-up and live delivery is dropped, and the
 * broadcaster's guarantee (every event committed after subscribing is handed over)
 * closes the gap: the seam neither loses nor duplicates an event.
 */
export abstract class WatchStream implements FeedListener {
  private buffer: FeedEvent[] = [];
  private needsCatchUp = true;
  private wakePump: (() => void) | null = null;
  private writer: SseWriter | null = null;
  private pumping: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private ended = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(protected readonly context: StreamContext) {}

  protected abstract accepts(event: FeedEvent): boolean;
  /** Whether the event is after the last one the client has (its key is above). */
  protected abstract isNew(event: StoredEvent): boolean;
  /** Records the event as the last one the client has; returns its frame id. */
  protected abstract markSent(event: StoredEvent): string | number;
  /** What the stream sends first (before the catch-up). */
  protected abstract begin(writer: SseWriter): void;
  /** Reads the log after lastSent until it is exhausted, sending what it finds. */
  protected abstract catchUp(writer: SseWriter): Promise<void>;
  /** Sends live events (already filtered to key > lastSent, in order). */
  protected abstract deliver(writer: SseWriter, events: FeedEvent[]): Promise<void>;

  get isEnded(): boolean {
    return this.ended;
  }

  /** Calls `listener` once the stream has ended (at once if it already has). */
  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /** Called by the service once subscribed. */
  subscribed(unsubscribe: () => void): void {
    if (this.ended) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  onEvents(events: readonly FeedEvent[]): void {
    if (this.ended) return;
    for (const event of events) if (this.accepts(event)) this.buffer.push(event);
    if (this.buffer.length > MAX_BUFFERED_EVENTS) {
      this.buffer = [];
      this.needsCatchUp = true;
    }
    this.wakePump?.();
  }

  /** Writes the headers and runs the stream until the client leaves or the service stops. */
  start({ response, headers, headersOnly }: StreamStart): void {
    const writer = new SseWriter(response, { heartbeatMs: this.context.heartbeatMs, headers });
    this.writer = writer;
    writer.onClose(() => this.end());
    writer.open();
    if (this.ended || headersOnly) {
      this.end();
      writer.close();
      return;
    }
    this.pumping = this.pump(writer);
  }

  /** Ends the stream: unsubscribes, closes the response, lets the pump finish. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer = [];
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.writer?.close();
    this.wakePump?.();
    for (const listener of this.endListeners.splice(0)) listener();
  }

  async shutdown(): Promise<void> {
    this.end();
    await this.pumping;
  }

  /** Sends an event frame and records its key. */
  protected sendEvent(writer: SseWriter, event: StoredEvent): void {
    if (!this.isNew(event)) return;
    writer.send({ id: this.markSent(event), event: 'event', data: JSON.stringify(presentEvent(event)) });
  }

  private async pump(writer: SseWriter): Promise<void> {
    try {
      this.begin(writer);
      while (!this.ended) {
        if (this.needsCatchUp) {
          this.needsCatchUp = false;
          await this.catchUp(writer);
          continue;
        }
        const batch = this.buffer.splice(0).filter((event) => this.isNew(event));
        if (batch.length === 0) {
          await new Promise<void>((resolve) => (this.wakePump = resolve));
          this.wakePump = null;
          continue;
        }
        await this.deliver(writer, batch);
        await writer.drained();
      }
    } catch (error) {
      // The client reconnects with Last-Event-ID and resumes exactly where this stopped.
      if (!this.ended) this.context.logger.warn(`watch stream ended by an error: ${String(error)}`);
    } finally {
      this.end();
    }
  }
}

/** The cursor of an event of the feed (read by readFeed or handed over by the broadcaster). */
function feedCursorOf(event: StoredEvent): FeedCursor {
  const { cursor } = event as Partial<FeedEvent>;
  if (!cursor) throw new Error(`event ${event.id} did not come from the feed`);
  return cursor;
}

/** GET /v1/events/watch: the global feed, `id` = feed cursor. */
export class FeedWatchStream extends WatchStream {
  /** The cursor of the last event the client has. */
  private lastSent: FeedCursor = FEED_START;

  /** Where the stream starts; set after subscribing, before start(). */
  startAfter(cursor: FeedCursor): void {
    this.lastSent = cursor;
  }

  protected accepts(): boolean {
    return true;
  }

  protected isNew(event: StoredEvent): boolean {
    return compareFeedCursors(feedCursorOf(event), this.lastSent) > 0;
  }

  protected markSent(event: StoredEvent): string {
    this.lastSent = feedCursorOf(event);
    return encodeFeedCursor(this.lastSent);
  }

  /** A frame with only an id: dispatches nothing, but a client that reconnects resumes from here. */
  protected begin(writer: SseWriter): void {
    writer.send({ id: encodeFeedCursor(this.lastSent) });
  }

  protected async catchUp(writer: SseWriter): Promise<void> {
    for (;;) {
      const page = await this.context.store.readFeed(this.lastSent, PAGE_SIZE);
      if (this.isEnded) return;
      for (const event of page) this.sendEvent(writer, event);
      await writer.drained();
      if (page.length < PAGE_SIZE) return;
    }
  }

  protected async deliver(writer: SseWriter, events: FeedEvent[]): Promise<void> {
    for (const event of events) this.sendEvent(writer, event);
  }
}

export type StateReader = (operationId: string, atLeastVersion: number) => Promise<OperationState | null>;

/** GET /v1/operations/{id}/watch: one operation's events (`id` = version), each run followed by its state. */
export class OperationWatchStream extends WatchStream {
  /** The version of the last event the client has. */
  private lastSent = 0;
  private initialState: { state: OperationState | null } | null = null;

  constructor(
    context: StreamContext,
    private readonly operationId: string,
    private readonly readState: StateReader,
  ) {
    super(context);
  }

  /** Replay the events after the client's Last-Event-ID (a version), then live. Set before start(). */
  resumeAfter(version: number): void {
    this.lastSent = version;
    this.initialState = null;
  }

  /** Send this state (read after subscribing) first, then live events. Set before start(). */
  startWith(state: OperationState | null): void {
    this.lastSent = state?.version ?? 0;
    this.initialState = { state };
  }

  protected accepts(event: FeedEvent): boolean {
    return event.operationId === this.operationId;
  }

  protected isNew(event: StoredEvent): boolean {
    return event.version > this.lastSent;
  }

  protected markSent(event: StoredEvent): number {
    this.lastSent = event.version;
    return event.version;
  }

  /** The current state (null for an operation without events yet), with its version as the resume point. */
  protected begin(writer: SseWriter): void {
    if (!this.initialState) return;
    const { state } = this.initialState;
    writer.send({ id: state?.version ?? 0, event: 'state', data: JSON.stringify(state) });
  }

  protected async catchUp(writer: SseWriter): Promise<void> {
    // No version follows the largest a Postgres integer holds (and lastSent + 1 would not fit the query).
    if (this.lastSent >= INT4_MAX) return;
    const before = this.lastSent;
    for (;;) {
      const page = await this.context.store.readOperationEvents(this.operationId, this.lastSent + 1, PAGE_SIZE);
      if (this.isEnded) return;
      for (const event of page) this.sendEvent(writer, event);
      await writer.drained();
      if (page.length < PAGE_SIZE) break;
    }
    if (this.lastSent > before) await this.sendState(writer);
  }

  protected async deliver(writer: SseWriter, events: FeedEvent[]): Promise<void> {
    for (const event of events) this.sendEvent(writer, event);
    await this.sendState(writer);
  }

  /**
   * The state after the last event sent. The projection may already be further on (more
   * events committed since): then those events are sent first, so that a state frame always
   * describes exactly the events before it. Versions are gap-free and committed together
   * with the projection, so every version up to the state's is readable.
   */
  private async sendState(writer: SseWriter): Promise<void> {
    const state = await this.readState(this.operationId, this.lastSent);
    if (this.isEnded || !state || state.version < this.lastSent) return;
    while (this.lastSent < state.version) {
      const limit = Math.min(PAGE_SIZE, state.version - this.lastSent);
      const page = await this.context.store.readOperationEvents(this.operationId, this.lastSent + 1, limit);
      if (this.isEnded || page.length === 0) return;
      for (const event of page) this.sendEvent(writer, event);
      await writer.drained();
    }
    writer.send({ event: 'state', data: JSON.stringify(state) });
  }
}
