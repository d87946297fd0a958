/**
 * The API baseline: what a hand-written reader of the same table costs, a
 * bare Fastify route and one pg query, without Nest, the query bus or TypeORM.
 */
import Fastify from 'fastify';
import { Pool } from 'pg';

async function main(): Promise<void> {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/v1/operations/:id', async (request, reply) => {
    const { rows } = await pool.query<{ state: unknown }>(
      'SELECT state FROM operations WHERE id = $1 AND version > 0',
      [request.params.id],
    );
    if (rows.length === 0) return reply.status(404).send({ title: 'Not Found' });
    return rows[0].state;
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
