import { Injectable, Logger } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { problem } from '../common/problem';
import { EventStore } from '../event-store/event-store.service';
import { GetOperationQuery } from '../operations/queries/get-operation.query';
import type { OperationState } from '../projection/operation-fold';
import { BroadcasterClosedError, FeedBroadcaster } from './feed-broadcaster';
import { FeedWatchStream, OperationWatchStream, type StreamContext, type WatchStream } from './watch-streams';

const HEARTBEAT_MS = 15_000;

/** Opens watch streams: everything that can fail happens here, before the response is hijacked. */
@Injectable()
export class WatchService {
  private readonly logger = new Logger('Watch');
  /** Interval of the `: keep-alive` comments; a field so that tests can shorten it. */
  heartbeatMs = HEARTBEAT_MS;
  private readonly stateReads = new Map<string, Promise<OperationState | null>>();

  constructor(
    private readonly broadcaster: FeedBroadcaster,
    private readonly store: EventStore,
    private readonly queries: QueryBus,
  ) {}

  /** The global feed after `after`, or, without it, from the current end of the log. */
  async openFeed(after: number | undefined): Promise<WatchStream> {
    const stream = new FeedWatchStream(this.context());
    return this.open(stream, async () => {
      // Read after subscribing: the poller's cursor cannot be beyond this head, so nothing falls in between.
      stream.startAfter(after ?? (await this.broadcaster.headPosition()));
    });
  }

  /** One operation: replay after `resumeAfterVersion`, or start with its current state. */
  async openOperation(operationId: string, resumeAfterVersion: number | undefined): Promise<WatchStream> {
    const stream = new OperationWatchStream(this.context(), operationId, this.readState);
    return this.open(stream, async () => {
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

  private context(): StreamContext {
    return { store: this.store, logger: this.logger, heartbeatMs: this.heartbeatMs };
  }

  /** Subscribes the stream, then runs `prepare` (which reads the log); any failure is a 503 problem. */
  private async open(stream: WatchStream, prepare: () => Promise<void>): Promise<WatchStream> {
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
