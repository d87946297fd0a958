/**
 * The API ceiling: a bare Fastify route returning a fixed JSON body of the
 * same size as a real operation. Whatever the service does beyond this
 * (routing through Nest, the query bus, Postgres) is its overhead.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const body = process.env.FIXED_BODY ?? '{}';
  const app = Fastify({ logger: false });
  app.get('/v1/operations/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
