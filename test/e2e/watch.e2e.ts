import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  compareFeedCursors,
  encodeFeedCursor,
  FEED_START,
  type FeedCursor,
  parseFeedCursor,
} from '../../src/contract/feed-cursor';
import { EventStore } from '../../src/event-store/event-store.service';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { presentEvent } from '../../src/common/event-presenter';
import { FeedBroadcaster } from '../../src/watch/feed-broadcaster';
import { WatchService } from '../../src/watch/watch.service';
import {
  operationEvent,
  createTestContext,
  type RunningApp,
  startTestApp,
  type TestContext,
  uniqueName,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

// ---------------------------------------------------------------------------------------------
// A small SSE client over node:http: parses frames as the WHATWG event-stream format defines.

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

class SseClient {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    private readonly request: ClientRequest,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {}

  static connect(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream', ...headers } });
      request.on('response', (response) => {
        const client = new SseClient(request, response.statusCode ?? 0, response.headers);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => client.feed(chunk));
        response.on('end', () => (client.ended = true));
        response.on('close', () => (client.ended = true));
        response.on('error', () => (client.ended = true));
        resolve(client);
      });
      request.on('error', reject);
      request.end();
    });
  }

  /** Event frames (`event: event`), in arrival order; `id`: the version, or the position of a feed cursor. */
  get events(): { id: number; event: ReturnType<typeof presentEvent> }[] {
    return this.frames
      .filter((frame) => frame.event === 'event')
      .map((frame) => ({ id: positionOfId(frame.id), event: JSON.parse(frame.data ?? 'null') }));
  }

  get eventIds(): number[] {
    return this.events.map((e) => e.id);
  }

  /** The ids of the event frames as sent (feed cursors on the feed). */
  get rawEventIds(): string[] {
    return this.frames.filter((frame) => frame.event === 'event').map((frame) => frame.id ?? '');
  }

  get lastId(): number {
    const last = this.lastRawId;
    return last === undefined ? -1 : positionOfId(last);
  }

  get lastRawId(): string | undefined {
    return this.frames.filter((frame) => frame.id !== undefined).at(-1)?.id;
  }

  close(): void {
    this.request.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: SseFrame = {};
      let hasField = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        hasField = true;
        if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
        else if (field === 'id' || field === 'event') frame[field] = value;
      }
      if (hasField) this.frames.push(frame);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** An operation stream's id is a version; a feed cursor `<xid>:<position>` gives its position. */
function positionOfId(id: string | undefined): number {
  return Number((id ?? '').split(':').at(-1));
}

/** Feed cursors (as sent) in feed order? */
function cursorOf(id: string): FeedCursor {
  const parsed = parseFeedCursor(id);
  if (parsed.kind !== 'cursor') throw new Error(`not a feed cursor: ${id}`);
  return parsed.cursor;
}

function validEvent(subject: string, type = 'custom.noted', data?: Record<string, unknown>): OperationEvent {
  return operationEvent(subject, type, data);
}

async function listen(service: RunningApp): Promise<string> {
  await service.app.listen(0, '127.0.0.1');
  const address = service.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

describe('live watch over Server-Sent Events', () => {
  let context: TestContext;
  let service: RunningApp;
  let baseUrl: string;
  let store: EventStore;
  const clients: SseClient[] = [];

  async function connect(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.connect(baseUrl, path, headers);
    clients.push(client);
    return client;
  }

  async function append(...events: OperationEvent[]): Promise<number[]> {
    const outcomes = await store.append(events);
    return outcomes.map((outcome) => {
      if (outcome.status !== 'appended') throw new Error(`not appended: ${JSON.stringify(outcome)}`);
      return outcome.position;
    });
  }

  /** The feed after `after` (a cursor as sent; '0' = the start), as cursors in feed order. */
  async function feedAfter(after: string): Promise<string[]> {
    const cursors: string[] = [];
    let from = after === '0' ? FEED_START : cursorOf(after);
    for (;;) {
      const page = await store.readFeed(from, 1000);
      cursors.push(...page.map((e) => encodeFeedCursor(e.cursor)));
      if (page.length < 1000) return cursors;
      from = page[page.length - 1].cursor;
    }
  }

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { INGEST_ENABLED: 'false', WATCH_POLL_INTERVAL_MS: '10' });
    baseUrl = await listen(service);
    store = service.app.get(EventStore);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    // Closing a client ends its stream on the server; with no streams left the poller stops.
    await waitFor('every stream to be closed', () => service.app.get(FeedBroadcaster).listenerCount === 0, {
      timeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  it('streams new events of the global feed in position order, starting at the current end by default', async () => {
    const [before] = await append(validEvent(uniqueName('op')));
    const client = await connect('/v1/events/watch');

    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream');
    expect(client.headers['cache-control']).toBe('no-cache');
    expect(client.headers['x-accel-buffering']).toBe('no');
    // The first frame only sets the resume point: the end of the log when the stream opened.
    await waitFor('the opening frame', () => client.frames.length > 0);
    expect(Object.keys(client.frames[0])).toEqual(['id']);
    expect(positionOfId(client.frames[0].id)).toBe(before);

    const a = uniqueName('op');
    const b = uniqueName('op');
    const positions = [
      ...(await append(validEvent(a, 'operation.created'))),
      ...(await append(validEvent(b, 'stage.started', { stage: 'ocr' }), validEvent(a, 'custom.noted'))),
    ];
    await waitFor('three events', () => client.events.length >= 3);

    expect(client.eventIds).toEqual(positions);
    const stored = await store.readFeed(cursorOf(client.frames[0].id!), 10);
    expect(client.events.map((e) => e.event)).toEqual(stored.map(presentEvent));
    expect(client.frames.every((frame) => frame.event === undefined || frame.event === 'event')).toBe(true);
  });

  it('replays from ?after= and then continues live', async () => {
    const op = uniqueName('op');
    const [first, ...rest] = await append(validEvent(op), validEvent(op), validEvent(op));
    const client = await connect(`/v1/events/watch?after=${first}`);
    await waitFor('the replayed events', () => client.events.length >= rest.length);
    expect(client.eventIds).toEqual(rest);

    const live = await append(validEvent(op));
    await waitFor('the live event', () => client.events.length >= rest.length + 1);
    expect(client.eventIds).toEqual([...rest, ...live]);
  });

  it('sends an operation its current state first, then each new event followed by the new state', async () => {
    const op = uniqueName('op');
    await append(validEvent(op, 'operation.created'), validEvent(op, 'stage.started', { stage: 'ocr' }));
    const client = await connect(`/v1/operations/${op}/watch`);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream');

    await waitFor('the current state', () => client.frames.length >= 1);
    const current = (await service.http().get(`/v1/operations/${op}`).expect(200)).body;
    expect(client.frames[0]).toEqual({ id: '2', event: 'state', data: JSON.stringify(current) });

    await append(validEvent(op, 'stage.completed', { stage: 'ocr' }));
    await waitFor('event 3 and its state', () => client.frames.length >= 3);
    await append(validEvent(op, 'metadata.updated', { metadata: { pages: 3 } }), validEvent(op, 'operation.completed'));
    await waitFor('the state after event 5', () => {
      const last = client.frames[client.frames.length - 1];
      return last?.event === 'state' && JSON.parse(last.data ?? '{}').version === 5;
    });

    expect(client.eventIds).toEqual([3, 4, 5]);
    expect(client.events.map((e) => e.event.subject)).toEqual([op, op, op]);
    // Every state frame describes exactly the events before it, and no event is left without one.
    let lastEventId = 2;
    for (const frame of client.frames.slice(1)) {
      if (frame.event === 'event') lastEventId = Number(frame.id);
      else {
        expect(frame).toMatchObject({ event: 'state' });
        expect(frame.id).toBeUndefined();
        expect(JSON.parse(frame.data ?? '{}').version).toBe(lastEventId);
      }
    }
    expect(client.frames[1]).toMatchObject({ id: '3', event: 'event' });
    expect(client.frames[2].event).toBe('state');
    const final = (await service.http().get(`/v1/operations/${op}`).expect(200)).body;
    expect(JSON.parse(client.frames[client.frames.length - 1].data ?? '{}')).toEqual(final);
    expect(final.status).toBe('succeeded');
  });

  it('lets an operation that does not exist yet be watched', async () => {
    const op = uniqueName('op');
    const client = await connect(`/v1/operations/${op}/watch`);
    await waitFor('the (empty) state', () => client.frames.length >= 1);
    expect(client.frames[0]).toEqual({ id: '0', event: 'state', data: 'null' });

    await append(validEvent(uniqueName('other')), validEvent(op, 'operation.created'));
    await waitFor('the first event and state', () => client.frames.length >= 3);
    expect(client.frames[1]).toMatchObject({ id: '1', event: 'event' });
    expect(JSON.parse(client.frames[1].data ?? '{}')).toMatchObject({ subject: op, version: 1 });
    expect(client.frames[2].event).toBe('state');
    expect(JSON.parse(client.frames[2].data ?? '{}')).toMatchObject({ id: op, version: 1, status: 'pending' });
  });

  it('resumes the global stream from Last-Event-ID: what was appended while away arrives, nothing twice', async () => {
    const op = uniqueName('op');
    const first = await connect('/v1/events/watch');
    await waitFor('the opening frame', () => first.frames.length > 0);
    const seen = await append(validEvent(op), validEvent(op));
    await waitFor('two events', () => first.events.length >= 2);
    first.close();

    const missed = [...(await append(validEvent(op))), ...(await append(validEvent(op), validEvent(op)))];
    // Last-Event-ID wins over ?after=: nothing before it is replayed.
    const second = await connect('/v1/events/watch?after=0', { 'last-event-id': first.lastRawId! });
    await waitFor('the missed events', () => second.events.length >= missed.length);
    const live = await append(validEvent(op));
    await waitFor('the live event', () => second.events.length >= missed.length + 1);

    expect(first.eventIds).toEqual(seen);
    expect(second.eventIds).toEqual([...missed, ...live]);
    expect(second.frames[0]).toEqual({ id: first.lastRawId });
  });

  it('resumes an operation stream from Last-Event-ID (a version): replay, one state, then live', async () => {
    const op = uniqueName('op');
    await append(validEvent(op, 'operation.created'));
    const first = await connect(`/v1/operations/${op}/watch`);
    await append(validEvent(op, 'stage.started', { stage: 'a' }));
    await waitFor('event 2 and its state', () => first.frames.length >= 3);
    first.close();
    expect(first.lastId).toBe(2);

    await append(validEvent(op, 'stage.completed', { stage: 'a' }));
    await append(validEvent(uniqueName('other')), validEvent(op, 'stage.started', { stage: 'b' }));
    const second = await connect(`/v1/operations/${op}/watch`, { 'last-event-id': '2' });
    await waitFor('the replay and its state', () => second.frames.some((f) => f.event === 'state'));
    expect(second.frames.map((f) => [f.event, f.id])).toEqual([
      ['event', '3'],
      ['event', '4'],
      ['state', undefined],
    ]);
    expect(JSON.parse(second.frames[2].data ?? '{}').version).toBe(4);

    await append(validEvent(op, 'stage.completed', { stage: 'b' }));
    await waitFor('event 5 and its state', () => second.frames.length >= 5);
    expect(second.eventIds).toEqual([3, 4, 5]);
    expect(JSON.parse(second.frames[4].data ?? '{}')).toMatchObject({ version: 5, eventCount: 5 });
  });

  it('gives many concurrent watchers, opened while writers append, the same gap-free sequence from one poller', async () => {
    const broadcaster = service.app.get(FeedBroadcaster);
    // Random read latency (after the snapshot is taken) widens every race at the catch-up/live
    // seam: events commit and reach the poller while a stream's catch-up read is still "in flight".
    const lag = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
    const readFeed = store.readFeed.bind(store);
    const readOperationEvents = store.readOperationEvents.bind(store);
    const feedSpy = jest.spyOn(store, 'readFeed').mockImplementation(async (...args) => {
      const events = await readFeed(...args);
      await lag();
      return events;
    });
    const historySpy = jest.spyOn(store, 'readOperationEvents').mockImplementation(async (...args) => {
      const events = await readOperationEvents(...args);
      await lag();
      return events;
    });
    try {
      const start = (await feedAfter('0')).at(-1) ?? '0';
      const shared = uniqueName('shared');
      // Writers keep appending (batches of 1 to 3, over a shared and private operations)
      // until every stream is open, so that every stream opens while events are being committed.
      let opening = true;
      let written = 0;
      let sharedVersions = 0;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; opening || i < 10; i += 1) {
          const size = 1 + ((w + i) % 3);
          await append(...Array.from({ length: size }, (_, j) => validEvent(j === 0 ? shared : `writer-${w}`)));
          written += size;
          sharedVersions += 1;
        }
      });
      // Catch-up streams (from `start`, or from version 0 of one operation) and "from now" streams.
      const fromStart: SseClient[] = [];
      const fromNow: SseClient[] = [];
      const operation: SseClient[] = [];
      for (let i = 0; i < 10; i += 1) {
        const target = written + 10;
        await waitFor('more events to be written', () => written >= target);
        fromStart.push(await connect(`/v1/events/watch?after=${start}`));
        fromNow.push(await connect('/v1/events/watch'));
        if (i % 2 === 0) operation.push(await connect(`/v1/operations/${shared}/watch`, { 'last-event-id': '0' }));
      }
      opening = false;
      await Promise.all(writers);

      // The feed's bound is cluster-wide: other test files' transactions may hold it back a moment.
      let all: string[] = [];
      await waitFor('every written event on the feed', async () => {
        all = await feedAfter(start);
        return all.length >= written;
      });
      expect(all).toHaveLength(written);
      const end = all[all.length - 1];
      await waitFor(
        'every watcher to reach the end',
        () => [...fromStart, ...fromNow].every((c) => c.lastRawId === end),
        {
          timeoutMs: 30_000,
        },
      );
      await waitFor('every operation watcher to reach the last version and its state', () =>
        operation.every((c) => c.lastId === sharedVersions && c.frames.at(-1)?.event === 'state'),
      );
      // Writers ran in parallel: feed order is by transaction id, then position (compared as cursors).
      for (const client of fromStart) expect(client.rawEventIds).toEqual(all);
      for (const client of fromNow) {
        const opened = cursorOf(client.frames[0].id!);
        expect(compareFeedCursors(opened, cursorOf(end))).toBeLessThan(0);
        expect(client.rawEventIds).toEqual(all.filter((c) => compareFeedCursors(cursorOf(c), opened) > 0));
      }
      const versions = Array.from({ length: sharedVersions }, (_, i) => i + 1);
      for (const client of operation) {
        expect(client.eventIds).toEqual(versions);
        // A state frame always describes exactly the events before it, even under concurrent writes.
        const stateAfter = client.frames.map((frame, i) =>
          frame.event === 'state' ? [Number(client.frames[i - 1]?.id), JSON.parse(frame.data ?? '{}').version] : null,
        );
        for (const pair of stateAfter.filter((p) => p !== null)) expect(pair[1]).toBe(pair[0]);
        expect(client.frames.at(-1)?.event).toBe('state');
      }

      // One poller for all the streams: the feed is read about once per interval, not once per stream.
      expect(broadcaster.listenerCount).toBe(25);
      const polls = broadcaster.polls;
      const startedAt = Date.now();
      await waitFor('a second of polling', () => Date.now() - startedAt >= 1000, { intervalMs: 100 });
      const intervals = (Date.now() - startedAt) / service.config.watchPollIntervalMs;
      const perInterval = (broadcaster.polls - polls) / intervals;
      expect(perInterval).toBeLessThanOrEqual(1.2);
    } finally {
      feedSpy.mockRestore();
      historySpy.mockRestore();
    }
  });

  it('stops polling when the last client disconnects and sends keep-alive comments while idle', async () => {
    const broadcaster = service.app.get(FeedBroadcaster);
    const watch = service.app.get(WatchService);
    watch.heartbeatMs = 100;
    try {
      const client = await connect('/v1/events/watch');
      expect(broadcaster.polling).toBe(true);
      await waitFor('a keep-alive comment', () => client.comments.includes('keep-alive'), { timeoutMs: 5000 });
      client.close();
      await waitFor('the stream to be dropped', () => broadcaster.listenerCount === 0, { timeoutMs: 5000 });
      await waitFor('the poller to stop', () => !broadcaster.polling, { timeoutMs: 5000 });
    } finally {
      watch.heartbeatMs = 15_000;
    }
  });

  it('refuses bad parameters with problem+json before streaming', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['/v1/events/watch?after=-1', {}, 'after'],
      ['/v1/events/watch?after=abc', {}, 'after'],
      ['/v1/events/watch?since=3', {}, 'since'],
      ['/v1/events/watch', { 'last-event-id': 'abc' }, 'Last-Event-ID'],
      ['/v1/operations/bad%20id/watch', {}, 'id'],
      ['/v1/operations/ok-id/watch?after=3', {}, 'after'],
      ['/v1/operations/ok-id/watch', { 'last-event-id': '-2' }, 'Last-Event-ID'],
    ];
    for (const [path, headers, field] of cases) {
      const response = await service.http().get(path).set(headers);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, field });
    }
  });

  it('closes every open stream when the application closes, so that close() does not hang', async () => {
    const other = await startTestApp(context, { INGEST_ENABLED: 'false', WATCH_POLL_INTERVAL_MS: '50' });
    let closed = false;
    let streams: SseClient[] = [];
    try {
      const url = await listen(other);
      const op = uniqueName('op');
      streams = await Promise.all([
        SseClient.connect(url, '/v1/events/watch'),
        SseClient.connect(url, '/v1/events/watch?after=0'),
        SseClient.connect(url, `/v1/operations/${op}/watch`),
      ]);
      await waitFor('the streams to open', () => streams.every((s) => s.frames.length > 0));
      // Appended through the main service: another instance on the same Postgres sees it.
      const [position] = await append(validEvent(op));
      await waitFor('the event on the other instance', () => streams[0].lastId === position);

      const closing = other.close().then(() => (closed = true));
      await waitFor('app.close() to finish', () => closed, { timeoutMs: 10_000 });
      await closing;
      await waitFor('every client to see the end of its stream', () => streams.every((s) => s.ended), {
        timeoutMs: 5000,
      });
      expect(other.app.get(FeedBroadcaster).listenerCount).toBe(0);
    } finally {
      if (!closed) {
        for (const stream of streams) stream.close();
        await other.close();
      }
    }
  });
});
