/**
 * The HTTP append ceiling: a bare Fastify route that writes the request's
 * events into the service's own log table (operation_events, created by its
 * migrations: same columns, indexes and identity) with one multi-row INSERT
 * and answers with their positions. No projection, no duplicate or version
 * check in the database, no append-order lock: versions are numbered in this
 * process's memory, which is exact only because it is the table's one writer.
 */
import Fastify from 'fastify';
import { Pool } from 'pg';

interface RawEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  data?: unknown;
}

async function main(): Promise<void> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  const versions = new Map<string, number>();
  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    ['application/cloudevents+json', 'application/cloudevents-batch+json'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.post<{ Params: { id: string }; Body: RawEvent | RawEvent[] }>(
    '/v1/operations/:id/events',
    async (request, reply) => {
      const operationId = request.params.id;
      const events = Array.isArray(request.body) ? request.body : [request.body];
      const values: unknown[] = [];
      const rows: string[] = [];
      let version = versions.get(operationId) ?? 0;
      for (const event of events) {
        version += 1;
        const at = values.length;
        rows.push(`($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7})`);
        values.push(
          operationId,
          version,
          event.id,
          event.type,
          event.source,
          event.time,
          event.data === undefined ? null : JSON.stringify(event.data),
        );
      }
      versions.set(operationId, version);
      const { rows: inserted } = await pool.query<{ position: string }>(
        `INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
         VALUES ${rows.join(', ')} RETURNING position`,
        values,
      );
      return reply.status(201).send({
        operationId,
        version,
        events: inserted.map((row, index) => ({ id: events[index].id, position: Number(row.position) })),
      });
    },
  );
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
