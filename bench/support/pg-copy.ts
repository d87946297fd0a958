/**
 * COPY FROM STDIN / COPY TO STDOUT over a plain `pg` client. `pg` speaks the
 * COPY sub-protocol to a "submittable" query object; pg-copy-streams is the
 * usual wrapper, but it is not a dependency and the harness needs only this much.
 */
import type { Client, PoolClient, Submittable } from 'pg';

/** The parts of pg's (untyped) connection that the COPY sub-protocol uses. */
interface CopyConnection {
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

abstract class CopyQuery implements Submittable {
  readonly done: Promise<number>;
  protected rowCount = 0;
  private error: Error | null = null;
  private settle!: { resolve: (rows: number) => void; reject: (error: Error) => void };

  constructor(private readonly text: string) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: unknown): void {
    (connection as CopyConnection).query(this.text);
  }

  handleCommandComplete(message: { text?: string }): void {
    this.rowCount = Number(/(\d+)$/.exec(message.text ?? '')?.[1] ?? this.rowCount);
  }

  handleError(error: Error): void {
    this.error = error;
  }

  handleReadyForQuery(): void {
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve(this.rowCount);
  }

  // Messages a COPY never receives in practice; pg calls them on whatever query is active.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(_connection: unknown): void {}
  handleCopyData(_message: { chunk: Buffer }): void {}
}

class CopyFromQuery extends CopyQuery {
  constructor(
    text: string,
    private readonly chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  ) {
    super(text);
  }

  override handleCopyInResponse(connection: unknown): void {
    const con = connection as CopyConnection;
    void (async () => {
      for await (const chunk of this.chunks) {
        con.sendCopyFromChunk(chunk);
        // Respect the socket's backpressure so a large COPY does not sit in memory.
        if (con.stream.writableNeedDrain) await new Promise((r) => con.stream.once('drain', r));
      }
      con.endCopyFrom();
    })();
  }
}

class CopyToQuery extends CopyQuery {
  constructor(
    text: string,
    private readonly onChunk: (chunk: Buffer) => void,
  ) {
    super(text);
  }

  override handleCopyData(message: { chunk: Buffer }): void {
    this.onChunk(message.chunk);
  }
}

/** Runs `COPY … FROM STDIN` with the given chunks of COPY text; resolves to the rows copied. */
export function copyFrom(
  client: Client | PoolClient,
  sql: string,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<number> {
  return client.query(new CopyFromQuery(sql, chunks)).done;
}

/** Runs `COPY … TO STDOUT`, handing every chunk to `onChunk`; resolves to the rows copied. */
export function copyTo(client: Client | PoolClient, sql: string, onChunk: (chunk: Buffer) => void): Promise<number> {
  return client.query(new CopyToQuery(sql, onChunk)).done;
}

/** One value in COPY text format: NULL as \N, and the characters COPY treats specially escaped. */
export function copyText(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

export function copyRow(values: (string | number | null)[]): string {
  return `${values.map(copyText).join('\t')}\n`;
}
