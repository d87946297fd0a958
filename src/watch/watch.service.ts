import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiKeyRegistry } from '../auth/api-key-registry';
import type { ApiKey } from '../auth/api-keys';
import type { FeedCursorInput } from '../common/feed-cursor-params';
import { problem } from '../common/problem';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { EventStore } from '../event-store/event-store.service';
import { GetOperationQuery } from '../operations/queries/get-operation.query';
import type { OperationState } from '../projection/operation-fold';
import { BroadcasterClosedError, FeedBroadcaster } from './feed-broadcaster';
import { FeedWatchStream, OperationWatchStream, type StreamContext, type WatchStream } from './watch-streams';

const HEARTBEAT_MS = 15_000;
/** What a client refused for too many streams is told to wait before it tries again. */
const STREAMS_RETRY_AFTER_SECONDS = '5';

/** Who opened a stream: the caps count per caller, and a stream ends when its key is revoked. */
export interface StreamOwner {
  /** The API key, or the client address without keys (see callerId). */
  callerId: string;
  key: ApiKey | null;
}

/**
 * Opens watch streams: everything that can fail happens here, before the response is hijacked.
 * It keeps the open streams of this instance, to cap them (WATCH_MAX_STREAMS in all,
 * WATCH_MAX_STREAMS_PER_KEY per caller) and to end those whose key is revoked.
 */
@Injectable()
export class WatchService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Watch');
  /** Interval of the `: keep-alive` comments; a field so that tests can shorten it. */
  heartbeatMs = HEARTBEAT_MS;
  private readonly stateReads = new Map<string, Promise<OperationState | null>>();
  private readonly streams = new Map<WatchStream, StreamOwner>();
  private stopListening: (() => void) | null = null;

  constructor(
    private readonly broadcaster: FeedBroadcaster,
    private readonly store: EventStore,
    private readonly queries: QueryBus,
    private readonly keys: ApiKeyRegistry,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.keys.onChange(() => this.endRevokedStreams());
  }

  onModuleDestroy(): void {
    this.stopListening?.();
  }

  /** Streams open on this instance (being opened included). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** The global feed after `after` (a cursor, or a bare position), or, without it, from the feed's current end. */
  async openFeed(owner: StreamOwner, after: FeedCursorInput | undefined): Promise<WatchStream> {
    const stream = new FeedWatchStream(this.context());
    return this.open(owner, stream, async () => {
      if (after?.kind === 'cursor') stream.startAfter(after.cursor);
      else if (after?.kind === 'position') stream.startAfter(await this.store.feedCursorAt(after.position));
      // Read after subscribing: the poller's cursor cannot be beyond this head, so nothing falls in between.
      else stream.startAfter(await this.broadcaster.feedHead());
    });
  }

  /** One operation: replay after `resumeAfterVersion`, or start with its current state. */
  async openOperation(
    owner: StreamOwner,
    operationId: string,
    resumeAfterVersion: number | undefined,
  ): Promise<WatchStream> {
    const stream = new OperationWatchStream(this.context(), operationId, this.readState);
    return this.open(owner, stream, async () => {
      if (resumeAfterVersion !== undefined) stream.resumeAfter(resumeAfterVersion);
      // Read after subscribing: an event committed after this read is one the poller hands over.
      else stream.startWith(await this.queries.execute(new GetOperationQuery(operationId)));
    });
  }

  /**
   * The operation's state as GET /v1/operations/{id} returns it, at least at `atLeastVersion`.
   * Streams watching the same operation share one read in flight.
   */
  readonly readState = async (operationId: string, atLeastVersion: number): Promise<OperationState | null> => {
    let shared = this.stateReads.get(operationId);
    if (!shared) {
      const read = this.queries.execute(new GetOperationQuery(operationId));
      shared = read.finally(() => {
        if (this.stateReads.get(operationId) === shared) this.stateReads.delete(operationId);
      });
      this.stateReads.set(operationId, shared);
    }
    const state = await shared;
    if (!state || state.version >= atLeastVersion) return state;
    // The shared read started before the events this stream has sent were visible: read again.
    return this.queries.execute(new GetOperationQuery(operationId));
  };

  /** Refuses a new stream over the instance's cap (503) or the caller's (429). */
  private admit(owner: StreamOwner): void {
    if (this.streams.size >= this.config.watchMaxStreams) {
      throw problem(
        503,
        'too-many-streams',
        'Too many open streams',
        `this instance serves at most ${this.config.watchMaxStreams} watch streams at once (WATCH_MAX_STREAMS); ` +
          'retry later, or on another instance',
        {},
        { 'retry-after': STREAMS_RETRY_AFTER_SECONDS },
      );
    }
    let own = 0;
    for (const other of this.streams.values()) if (other.callerId === owner.callerId) own += 1;
    if (own >= this.config.watchMaxStreamsPerKey) {
      throw problem(
        429,
        'too-many-streams',
        'Too many open streams',
        `this ${owner.key ? 'API key' : 'client address'} has ${own} watch streams open on this instance, the most ` +
          `allowed (WATCH_MAX_STREAMS_PER_KEY); close one first`,
        {},
        { 'retry-after': STREAMS_RETRY_AFTER_SECONDS },
      );
    }
  }

  /** After the API keys changed: ends every stream opened with a key that is no longer configured. */
  private endRevokedStreams(): void {
    let ended = 0;
    for (const [stream, owner] of [...this.streams]) {
      if (owner.key && !this.keys.isValid(owner.key)) {
        stream.end();
        ended += 1;
      }
    }
    if (ended > 0) this.logger.log(`ended ${ended} watch stream(s) opened with a revoked API key`);
  }

  private context(): StreamContext {
    return { store: this.store, logger: this.logger, heartbeatMs: this.heartbeatMs };
  }

  /**
   * Admits the stream under the caps, subscribes it, then runs `prepare` (which reads the log); any
   * failure after admission is a 503 problem.
   */
  private async open(owner: StreamOwner, stream: WatchStream, prepare: () => Promise<void>): Promise<WatchStream> {
    this.admit(owner);
    this.streams.set(stream, owner);
    stream.onEnd(() => this.streams.delete(stream));
    try {
      stream.subscribed(await this.broadcaster.subscribe(stream));
      await prepare();
      // Shut down while preparing (the broadcaster ended it): refuse rather than hijack a dead stream.
      if (stream.isEnded) throw new BroadcasterClosedError();
      return stream;
    } catch (error) {
      stream.end();
      const closing = error instanceof BroadcasterClosedError;
      if (!closing) this.logger.warn(`cannot open a watch stream: ${String(error)}`);
      throw problem(
        503,
        'unavailable',
        'Service unavailable',
        closing ? 'the service is shutting down; reconnect' : 'the event log cannot be read right now; retry',
        {},
        { 'retry-after': '1' },
      );
    }
  }
}
