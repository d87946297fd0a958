import type {
  ApiEvent,
  DeadLetterPage,
  EventsPage,
  FeedPage,
  OperationList,
  OperationListFilters,
  OperationState,
  OperationStats,
  OperationTimeline,
  RepublishResult,
  StageStatsReport,
  StageStatsWindow,
} from './api-types';
import { HttpConnection, type HttpConnectionOptions } from './http-connection';
import { OpledgerApiError } from './http-errors';
import { readSse } from './sse-reader';

/**
 * What a watch stream delivers: an event (`id`: its feed cursor on the feed, opaque;
 * its version on one operation); watching one operation, its state after each run
 * of events; and on the feed, first, the cursor it starts after (`position`).
 */
export type WatchMessage =
  | { kind: 'event'; event: ApiEvent; id: string }
  | { kind: 'state'; state: OperationState | null }
  | { kind: 'position'; id: string };

export interface WatchOptions {
  /** Resume after this id (a feed cursor, or a bare global position, for the feed; a version for one operation). */
  after?: number | string;
  signal?: AbortSignal;
}

/** The read side of the REST API, typed (docs/api.md). Errors are OpledgerApiError / OpledgerUnreachableError. */
export class OpledgerApi {
  readonly connection: HttpConnection;

  constructor(options: HttpConnectionOptions) {
    this.connection = new HttpConnection(options);
  }

  getOperation(id: string, at: { atVersion?: number; asOf?: string } = {}): Promise<OperationState> {
    return this.connection.get(`/v1/operations/${encodeURIComponent(id)}`, at);
  }

  getEvents(id: string, page: { fromVersion?: number; limit?: number } = {}): Promise<EventsPage> {
    return this.connection.get(`/v1/operations/${encodeURIComponent(id)}/events`, page);
  }

  /** Every event of the operation, following the pages. */
  async getAllEvents(id: string): Promise<ApiEvent[]> {
    const events: ApiEvent[] = [];
    let fromVersion: number | null = 1;
    while (fromVersion !== null) {
      const page: EventsPage = await this.getEvents(id, { fromVersion, limit: 1000 });
      events.push(...page.events);
      fromVersion = page.nextFromVersion;
    }
    return events;
  }

  getTimeline(id: string): Promise<OperationTimeline> {
    return this.connection.get(`/v1/operations/${encodeURIComponent(id)}/timeline`);
  }

  listOperations(filters: OperationListFilters = {}): Promise<OperationList> {
    const { status, ...rest } = filters;
    return this.connection.get('/v1/operations', { ...rest, status: status?.join(',') });
  }

  stats(): Promise<OperationStats> {
    return this.connection.get('/v1/stats');
  }

  /** Per stage over the window: attempts by outcome, failure rate, duration percentiles; the last hour by minute. */
  stageStats(window: StageStatsWindow = '1h'): Promise<StageStatsReport> {
    return this.connection.get('/v1/stats/stages', { window });
  }

  /** GET /v1/events: `after` is the previous page's `nextAfter` (opaque), or a bare global position. */
  feed(after: string | number = 0, limit = 100): Promise<FeedPage> {
    return this.connection.get('/v1/events', { after, limit });
  }

  deadLetters(page: { limit?: number; cursor?: string } = {}): Promise<DeadLetterPage> {
    return this.connection.get('/v1/dead-letters', page);
  }

  /** Sends chosen dead letters back to the main topic (role admin). */
  async republishDeadLetters(ids: number[]): Promise<RepublishResult> {
    const response = await this.connection.request<RepublishResult>('POST', '/v1/dead-letters/republish', {
      body: JSON.stringify({ ids }),
      headers: { 'content-type': 'application/json' },
    });
    return response.body;
  }

  /** True when /health/ready answers 200 (Postgres reachable, Kafka consumer in its group). */
  async isReady(): Promise<boolean> {
    const response = await this.connection.fetch('/health/ready', { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.ok;
  }

  /** GET /v1/events/watch: every new event of every operation, until the signal aborts or the server ends it. */
  watchFeed(options: WatchOptions = {}): AsyncGenerator<WatchMessage> {
    return this.watch('/v1/events/watch', options);
  }

  /** GET /v1/operations/{id}/watch: the state first, then each run of new events followed by the state. */
  watchOperation(id: string, options: WatchOptions = {}): AsyncGenerator<WatchMessage> {
    return this.watch(`/v1/operations/${encodeURIComponent(id)}/watch`, options);
  }

  private async *watch(path: string, { after, signal }: WatchOptions): AsyncGenerator<WatchMessage> {
    const response = await this.connection.fetch(path, {
      headers: {
        ...this.connection.headers({ accept: 'text/event-stream' }),
        // Last-Event-ID works for both streams (the query parameter only for the feed).
        ...(after === undefined ? {} : { 'last-event-id': String(after) }),
      },
      signal,
    });
    if (!response.ok || response.body === null) {
      const text = await response.text();
      let problem: Record<string, unknown> = {};
      try {
        problem = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // Not problem+json: only the status is known.
      }
      throw new OpledgerApiError(response.status, { status: response.status, ...problem }, response.url);
    }
    for await (const message of readSse(response.body)) {
      if (message.event === 'event') {
        yield { kind: 'event', event: JSON.parse(message.data) as ApiEvent, id: message.id ?? '' };
      } else if (message.event === 'state') {
        yield { kind: 'state', state: JSON.parse(message.data) as OperationState | null };
      } else if (message.data === '' && message.id !== undefined) {
        yield { kind: 'position', id: message.id };
      }
    }
  }
}
