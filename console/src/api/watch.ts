import { readSse, type SseMessage } from '../../../src/client/sse-reader';
import { ApiError, authHeaders, notifyUnauthorized } from './http';

export type WatchState = 'connecting' | 'live' | 'retrying' | 'stopped';

export interface WatchOptions {
  /** Called for every message with data (keep-alives and the id-only first frame are not passed on). */
  onMessage(message: SseMessage): void;
  onState?(state: WatchState, detail?: string): void;
  /** Where to resume on the first connection (sent as Last-Event-ID). */
  lastEventId?: string;
}

async function* chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * Follows one of the API's Server-Sent Event streams with fetch, not EventSource: EventSource
 * cannot send the Authorization header, and a key must never go into a URL. Reconnects with
 * Last-Event-ID after the last id seen, as EventSource would, so nothing is missed or repeated.
 * Returns a function that stops it.
 */
export function watch(path: string, options: WatchOptions): () => void {
  const controller = new AbortController();
  let lastEventId = options.lastEventId;
  let failures = 0;
  const setState = (state: WatchState, detail?: string) => options.onState?.(state, detail);

  const run = async () => {
    while (!controller.signal.aborted) {
      setState(failures === 0 ? 'connecting' : 'retrying');
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
        const response = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
        if (!response.ok || !response.body) {
          const error = new ApiError(response.status, { status: response.status, title: response.statusText });
          // A refused key or a bad request does not get better by retrying.
          // A key revoked while the stream ran ends it; the reconnect then answers 401.
          if (response.status === 401) notifyUnauthorized();
          if ([400, 401, 403, 404].includes(response.status)) {
            setState('stopped', error.message);
            return;
          }
          throw error;
        }
        failures = 0;
        setState('live');
        for await (const message of readSse(chunks(response.body))) {
          if (message.id !== undefined) lastEventId = message.id;
          if (message.data !== '') options.onMessage(message);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        setState('retrying', error instanceof Error ? error.message : String(error));
      }
      failures += 1;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]));
    }
  };
  void run();
  return () => {
    controller.abort();
    setState('stopped');
  };
}
