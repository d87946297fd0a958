import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import type { FeedCursor } from '../contract/feed-cursor';
import { EventStore, type FeedEvent } from '../event-store/event-store.service';

/** Something that wants every event of the global feed from the moment it subscribed. */
export interface FeedListener {
  /** Called synchronously with each new page of the feed, in feed order. Must not throw or block. */
  onEvents(events: readonly FeedEvent[]): void;
  /** The service is shutting down: end the stream; resolves once the listener has stopped working. */
  shutdown(): Promise<void>;
}

/** Thrown by subscribe() once the application is closing. */
export class BroadcasterClosedError extends Error {
  constructor() {
    super('the service is shutting down');
    this.name = 'BroadcasterClosedError';
  }
}

const PAGE_SIZE = 1000;
const MAX_ERROR_BACKOFF_MS = 5000;

/**
 * The one poller of this instance: while at least one listener is subscribed, it follows
 * the global feed (EventStore.readFeed, gap-safe) and hands every page to every listener,
 * so N open streams cost one query per poll interval, not N. Events appended by other
 * instances are in the same Postgres log, so it sees them too.
 *
 * The cursor only ever moves to a feed cursor the poller has read, and it moves in the same
 * synchronous step as the fan-out. Hence a listener that subscribed when the cursor was C
 * receives every event after C in feed order; and C never exceeds what a read of the feed
 * started after subscribe() resolved will see, which is what makes the catch-up/live seam
 * of the streams lossless.
 */
@Injectable()
export class FeedBroadcaster implements OnModuleDestroy {
  private readonly logger = new Logger('Watch');
  private readonly listeners = new Set<FeedListener>();
  private loop: Promise<void> | null = null;
  private ready: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private closed = false;
  private pollCount = 0;

  constructor(
    private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /** Open listeners (streams), for diagnostics and tests. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Whether the poll loop is running (only while a listener is subscribed). */
  get polling(): boolean {
    return this.loop !== null;
  }

  /** Feed reads so far, for tests that check the poller is shared. */
  get polls(): number {
    return this.pollCount;
  }

  /**
   * Registers a listener and resolves once the poller has a cursor: from then on, every
   * event committed after the moment subscribe() resolved reaches the listener.
   */
  async subscribe(listener: FeedListener): Promise<() => void> {
    if (this.closed) throw new BroadcasterClosedError();
    this.listeners.add(listener);
    try {
      if (!this.loop) {
        let signal!: { resolve: () => void; reject: (error: unknown) => void };
        this.ready = new Promise<void>((resolve, reject) => (signal = { resolve, reject }));
        this.loop = this.run(signal);
      }
      await this.ready;
      if (this.closed) throw new BroadcasterClosedError();
    } catch (error) {
      this.unsubscribe(listener);
      throw error;
    }
    return () => this.unsubscribe(listener);
  }

  /** "Now" on the feed: the cursor of the last event it shows (the start for an empty log). */
  feedHead(): Promise<FeedCursor> {
    return this.store.feedHead();
  }

  /** Closes every stream and stops the poller, so that the HTTP server can close. */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await Promise.all([...this.listeners].map((listener) => listener.shutdown().catch(() => undefined)));
    this.listeners.clear();
    await this.loop;
  }

  private unsubscribe(listener: FeedListener): void {
    this.listeners.delete(listener);
    // Let the loop notice at once that nobody is listening any more.
    if (this.listeners.size === 0) this.wake?.();
  }

  private async run(signal: { resolve: () => void; reject: (error: unknown) => void }): Promise<void> {
    let cursor: FeedCursor;
    try {
      cursor = await this.feedHead();
      signal.resolve();
    } catch (error) {
      this.loop = null;
      signal.reject(error);
      return;
    }
    let failures = 0;
    while (!this.closed && this.listeners.size > 0) {
      let more = false;
      try {
        const events = await this.store.readFeed(cursor, PAGE_SIZE);
        this.pollCount += 1;
        if (failures > 0) this.logger.log('reading the event feed works again');
        failures = 0;
        if (events.length > 0) {
          // Move the cursor and fan out in one synchronous step (see the class comment).
          cursor = events[events.length - 1].cursor;
          this.fanOut(events);
        }
        more = events.length === PAGE_SIZE;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 50 === 0) {
          this.logger.warn(`live watch cannot read the event feed (attempt ${failures}): ${String(error)}`);
        }
      }
      if (!more && !this.closed && this.listeners.size > 0) {
        const backoff = Math.min(this.config.watchPollIntervalMs * 2 ** Math.min(failures, 10), MAX_ERROR_BACKOFF_MS);
        await this.sleep(
          failures > 0 ? Math.max(backoff, this.config.watchPollIntervalMs) : this.config.watchPollIntervalMs,
        );
      }
    }
    // Same synchronous step as the check above: a subscriber arriving later starts a new loop.
    this.loop = null;
  }

  private fanOut(events: readonly FeedEvent[]): void {
    for (const listener of [...this.listeners]) {
      try {
        listener.onEvents(events);
      } catch (error) {
        this.logger.error(`a watch stream failed to take events: ${String(error)}`);
      }
    }
  }

  /** Waits for the poll interval, or less if woken (last listener gone, shutdown). */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
