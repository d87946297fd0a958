import type { ServerResponse } from 'node:http';

/** Response headers of every event stream; x-accel-buffering: no keeps nginx from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export interface SseFrame {
  /** Sets the client's last event id (sent back as Last-Event-ID when it reconnects). */
  id?: number | string;
  event?: string;
  /** Sent as one `data:` line per line of text; omitted: the frame only sets `id`. */
  data?: string;
}

function singleLine(value: string, field: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`an SSE ${field} must be a single line`);
  return value;
}

/** One frame in the text/event-stream format, terminated by the blank line that dispatches it. */
export function formatSseFrame(frame: SseFrame): string {
  let text = '';
  if (frame.id !== undefined) text += `id: ${singleLine(String(frame.id), 'id')}\n`;
  if (frame.event !== undefined) text += `event: ${singleLine(frame.event, 'event name')}\n`;
  if (frame.data !== undefined) {
    for (const line of frame.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/** A comment line: ignored by clients, keeps proxies and load balancers from timing the connection out. */
export function formatSseComment(comment: string): string {
  return `: ${comment.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export interface SseWriterOptions {
  heartbeatMs: number;
  /** A client that leaves more than this unread in the socket buffer gets no heartbeat on top. */
  maxBufferedBytes?: number;
  /** Extra headers (already set on the reply by hooks) to send along with the SSE ones. */
  headers?: Record<string, string | number | string[]>;
}

/**
 * Writes an event stream to a raw Node response (Fastify reply.raw after reply.hijack()):
 * headers, frames, heartbeat comments, and one `closed` signal whichever side ends it.
 */
export class SseWriter {
  private isClosed = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly closeListeners: (() => void)[] = [];
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    response.on('close', () => this.close());
    response.on('error', () => this.close());
  }

  get closed(): boolean {
    return this.isClosed || this.response.destroyed;
  }

  /** Sends the status line and headers at once, so the client knows the stream is open. */
  open(): void {
    const headers: Record<string, string | number | string[]> = { ...(this.options.headers ?? {}), ...SSE_HEADERS };
    delete headers['content-length'];
    this.response.writeHead(200, headers);
    this.response.flushHeaders();
    this.response.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => {
      if (this.response.writableLength < this.maxBufferedBytes) this.write(formatSseComment('keep-alive'));
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  send(frame: SseFrame): void {
    this.write(formatSseFrame(frame));
  }

  comment(text: string): void {
    this.write(formatSseComment(text));
  }

  /** Resolves once the socket buffer has room again (or the stream closed): the stream's backpressure. */
  async drained(): Promise<void> {
    if (this.closed || !this.response.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        const index = this.closeListeners.indexOf(done);
        if (index >= 0) this.closeListeners.splice(index, 1);
        resolve();
      };
      this.response.on('drain', done);
      this.closeListeners.push(done);
    });
  }

  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the response (if the client has not already gone); idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.response.writableEnded && !this.response.destroyed) this.response.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    this.response.write(chunk);
  }
}
