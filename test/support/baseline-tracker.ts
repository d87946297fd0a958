import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { uniqueName } from './test-app';

/**
 * The seed's design, for comparison: one row per operation, and every status
 * event UPDATEs it with the status that event implies, whenever it arrives —
 * written the way a naive service does it in a kafkajs eachMessage handler or
 * an HTTP handler. It is the kinder variant (an upsert, so an event that beats
 * `operation.created` still lands), so its stale-row count is a lower bound.
 */
const NAIVE_STATUS: Readonly<Record<string, string>> = {
  'operation.created': 'pending',
  'stage.started': 'running',
  'stage.completed': 'running',
  'stage.failed': 'running',
  'stage.skipped': 'running',
  'operation.completed': 'succeeded',
  'operation.failed': 'failed',
  'operation.cancelled': 'cancelled',
  'operation.restarted': 'running',
};

interface NaiveEvent {
  type: string;
  subject: string;
}

export class BaselineTracker {
  /** Kafka records and HTTP requests the naive handlers have finished. */
  kafkaRecordsHandled = 0;
  httpRequestsHandled = 0;

  private constructor(
    private readonly pool: Pool,
    private readonly consumer: Consumer,
    private readonly server: Server,
  ) {}

  /** Creates its table in `databaseUrl`, consumes `topic` with a group of its own, and listens for HTTP. */
  static async start(databaseUrl: string, brokers: string[], topic: string): Promise<BaselineTracker> {
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    await pool.query(
      `CREATE TABLE IF NOT EXISTS baseline_operations (id text PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL)`,
    );
    const kafka = new Kafka({ clientId: uniqueName('baseline'), brokers, logLevel: logLevel.ERROR });
    const consumer = kafka.consumer({ groupId: uniqueName('baseline'), maxWaitTimeInMs: 100 });
    const server = createServer();
    const tracker = new BaselineTracker(pool, consumer, server);
    server.on('request', (request, response) => void tracker.handleHttp(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => {
        await tracker.apply(JSON.parse(message.value!.toString('utf8')) as NaiveEvent);
        tracker.kafkaRecordsHandled += 1;
      },
    });
    return tracker;
  }

  /** Where producers POST the HTTP half: `<url>/v1/operations/{id}/events`, one CloudEvent per request. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The status each operation's row ended with. */
  async statuses(): Promise<Map<string, string>> {
    const rows = await this.pool.query<{ id: string; status: string }>('SELECT id, status FROM baseline_operations');
    return new Map(rows.rows.map((row) => [row.id, row.status]));
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await new Promise((resolve) => this.server.close(resolve));
    await this.pool.end();
  }

  private async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      await this.apply(JSON.parse(Buffer.concat(chunks).toString('utf8')) as NaiveEvent);
      this.httpRequestsHandled += 1;
      response.writeHead(204).end();
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  }

  /** The whole naive design: the last write wins, whatever its event's time. */
  private async apply(event: NaiveEvent): Promise<void> {
    const status = Object.hasOwn(NAIVE_STATUS, event.type) ? NAIVE_STATUS[event.type] : null;
    if (status === null) {
      // metadata and unknown types do not touch the status, but the row exists from then on.
      await this.pool.query(
        `INSERT INTO baseline_operations (id, status, updated_at) VALUES ($1, 'pending', now()) ON CONFLICT (id) DO NOTHING`,
        [event.subject],
      );
      return;
    }
    await this.pool.query(
      `INSERT INTO baseline_operations (id, status, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
      [event.subject, status],
    );
  }
}
