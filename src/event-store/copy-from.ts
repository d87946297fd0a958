import type { PoolClient, Submittable } from 'pg';

// COPY … FROM STDIN over a pg client: pg speaks the COPY sub-protocol to a "submittable" query
// object. pg-copy-streams is the usual wrapper; the bulk load of a rebuild needs only this much.

/** The parts of pg's (untyped) connection that COPY FROM uses. */
interface CopyConnection {
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyFromQuery implements Submittable {
  readonly done: Promise<number>;
  private rowCount = 0;
  private error: Error | null = null;
  private settle!: { resolve: (rows: number) => void; reject: (error: Error) => void };

  constructor(
    private readonly text: string,
    private readonly chunks: readonly Buffer[],
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: unknown): void {
    (connection as CopyConnection).query(this.text);
  }

  handleCopyInResponse(connection: unknown): void {
    const con = connection as CopyConnection;
    void (async () => {
      for (const chunk of this.chunks) {
        con.sendCopyFromChunk(chunk);
        // The socket's backpressure: a large COPY does not pile up in memory.
        if (con.stream.writableNeedDrain) await new Promise((resolve) => con.stream.once('drain', resolve));
      }
      con.endCopyFrom();
    })();
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

  // Messages a COPY FROM never receives; pg calls them on whatever query is active.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY … FROM STDIN` with `text` (COPY text format, whole lines); resolves to the rows copied. */
export function copyFrom(client: PoolClient, sql: string, text: string): Promise<number> {
  const chunks: Buffer[] = [];
  const whole = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < whole.length; offset += COPY_CHUNK_BYTES) {
    chunks.push(whole.subarray(offset, offset + COPY_CHUNK_BYTES));
  }
  return client.query(new CopyFromQuery(sql, chunks)).done;
}

const COPY_CHUNK_BYTES = 256 * 1024;

/** A text as one field of COPY text format: backslashes, newlines, returns and tabs escaped. */
export function copyText(value: string): string {
  return /[\\\n\r\t]/.test(value)
    ? value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
    : value;
}

/** A JSON text as one field of COPY text format: JSON never holds raw tabs or newlines, only backslashes to double. */
export function copyJson(json: string): string {
  return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
}
