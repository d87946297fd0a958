import type { FastifyRequest } from 'fastify';
import type { ApiKey } from './api-keys';

/** What ApiKeyGuard leaves on a request it let through with a key. */
export type AuthenticatedRequest = FastifyRequest & { apiKey?: ApiKey; apiKeyName?: string };

/**
 * Who a request counts against for the rate limits and the stream caps: its
 * API key when it has a valid one, else its client address (authentication
 * off, or a request about to be refused). The key itself never appears: a
 * prefix of its digest stands for it.
 */
export function callerId(key: ApiKey | null | undefined, request: FastifyRequest): string {
  return key ? `key:${key.digest.toString('hex', 0, 12)}` : `address:${request.ip}`;
}

/** The Bearer secret of a request, if it sent one. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return (typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined) ?? null;
}
