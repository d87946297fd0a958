import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { problem } from '../common/problem';
import type { ResolvedConfig } from '../config/app-config';
import { ApiKeyRegistry } from './api-key-registry';
import { callerId, presentedKey } from './caller';

export type RateLimitClass = 'appends' | 'reads';

const APPEND_ROUTE = '/v1/operations/:id/events';

/**
 * Which limit a request counts against: HTTP appends, or everything else under
 * /v1 (reads, watch streams opening, admin). Probes, metrics, the OpenAPI
 * document and the console's files are never limited.
 */
export function rateLimitClass(method: string, routeUrl: string | undefined): RateLimitClass | null {
  if (routeUrl === undefined || !routeUrl.startsWith('/v1/')) return null;
  return method === 'POST' && routeUrl === APPEND_ROUTE ? 'appends' : 'reads';
}

/**
 * Rate limits per API key (per client address without keys), one for appends
 * and one for the rest, with @fastify/rate-limit: a fixed window per caller
 * and class, counted in this instance's memory (N instances behind a balancer
 * allow up to N times the limit; a restart starts the count again). Beyond the
 * limit: 429 problem+json with Retry-After (seconds to the window's end).
 * Registered before Nest adds its routes, so its hook reaches every route.
 */
export async function registerRateLimits(app: NestFastifyApplication, config: ResolvedConfig): Promise<void> {
  const limits: Record<RateLimitClass, number> = { appends: config.rateLimitAppends, reads: config.rateLimitReads };
  if (limits.appends === 0 && limits.reads === 0) return;
  const keys = app.get(ApiKeyRegistry);
  const classOf = (request: FastifyRequest) => rateLimitClass(request.method, request.routeOptions.url);
  await app.register(rateLimit, {
    global: true,
    timeWindow: config.rateLimitWindowMs,
    // Callers kept in memory per instance (least recently seen forgotten first).
    cache: 10_000,
    allowList: (request) => {
      const limitClass = classOf(request);
      return limitClass === null || limits[limitClass] === 0;
    },
    keyGenerator: (request) => {
      const presented = keys.enabled ? presentedKey(request) : null;
      // A missing or unknown key counts against the client address (it is refused anyway).
      return `${classOf(request)}|${callerId(presented === null ? null : keys.find(presented), request)}`;
    },
    max: (request) => limits[classOf(request) ?? 'reads'],
    errorResponseBuilder: (request, context) => {
      const limitClass = classOf(request) ?? 'reads';
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return problem(
        429,
        'too-many-requests',
        'Too many requests',
        `more than ${context.max} ${limitClass === 'appends' ? 'appends' : 'requests'} in ${config.rateLimitWindowMs / 1000} s ` +
          `for this ${keys.enabled ? 'API key' : 'client address'} (RATE_LIMIT_${limitClass.toUpperCase()}); retry in ${seconds} s`,
        {},
        { 'retry-after': String(seconds) },
      );
    },
  });
}
