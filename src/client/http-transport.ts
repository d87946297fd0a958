import type { CloudEvent } from './cloud-event';
import { HttpConnection, type HttpConnectionOptions } from './http-connection';
import { OpledgerApiError, OpledgerUnreachableError } from './http-errors';
import type { EventTransport, SendReceipt, StoredOutcome } from './transport';

export interface HttpTransportOptions extends HttpConnectionOptions {
  /** Further attempts after an unreachable service or a 503; default 3. Safe: the event ids stay the same. */
  retries?: number;
  /** First backoff, doubled per attempt; default 200 ms. */
  retryDelayMs?: number;
}

interface AppendResponse {
  operationId: string;
  version: number;
  events: ({ id: string } & StoredOutcome)[];
}

const SINGLE = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

/** POST /v1/operations/{id}/events: for services without Kafka, and when the caller wants the version back. */
export class HttpTransport implements EventTransport {
  readonly connection: HttpConnection;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(options: HttpTransportOptions) {
    this.connection = new HttpConnection(options);
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  async send(operationId: string, events: readonly CloudEvent[]): Promise<SendReceipt[]> {
    const batch = events.length > 1;
    const body = JSON.stringify(batch ? events : events[0]);
    const path = `/v1/operations/${encodeURIComponent(operationId)}/events`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await this.connection.request<AppendResponse>('POST', path, {
          body,
          headers: { 'content-type': batch ? BATCH : SINGLE },
        });
        return response.body.events.map(({ id, status, version, position }) => ({
          eventId: id,
          stored: { status, version, position },
        }));
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** attempt));
      }
    }
  }

  async close(): Promise<void> {
    // fetch keeps no connection state that needs closing.
  }
}

function isRetryable(error: unknown): boolean {
  return error instanceof OpledgerUnreachableError || (error instanceof OpledgerApiError && error.status === 503);
}
