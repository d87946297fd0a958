/**
 * The HTTP append baseline: the seed's design behind a bare Fastify route, as
 * its services used it. One row per operation; every event in the body is one
 * upsert of that row (one autocommit round trip each, in order), with a pg
 * pool of DATABASE_POOL_SIZE (the service's default, 10).
 */
import Fastify from 'fastify';
import { Pool } from 'pg';
import { applySeedEvent, type SeedEvent } from '../contenders/seed-design';

async function main(): Promise<void> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    ['application/cloudevents+json', 'application/cloudevents-batch+json'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.post<{ Params: { id: string }; Body: SeedEvent | SeedEvent[] }>(
    '/v1/operations/:id/events',
    async (request, reply) => {
      const events = Array.isArray(request.body) ? request.body : [request.body];
      for (const event of events) await applySeedEvent(pool, { ...event, subject: request.params.id });
      return reply.status(201).send({ operationId: request.params.id, events: events.length });
    },
  );
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
