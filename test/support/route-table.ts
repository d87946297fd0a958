import { request as httpRequest } from 'node:http';
import { cloudEvent } from './test-app';

/**
 * Every route with the least role it needs, and the callers to try it with:
 * shared by the regular auth test and the chaos suite's auth matrix.
 */
export const KEYS = {
  reader: 'reader-key-0123456789abcdef',
  writer: 'writer-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdef0',
};
export type Caller = 'none' | 'wrong' | keyof typeof KEYS;
export const CALLERS: Caller[] = ['none', 'wrong', 'reader', 'writer', 'admin'];
const RANK: Record<Caller, number> = { none: -1, wrong: -1, reader: 0, writer: 1, admin: 2 };

/** `API_KEYS` for a service that knows the three keys above. */
export const API_KEYS_ENV = Object.entries(KEYS)
  .map(([role, key]) => `${role}:${key}`)
  .join(',');

/** The Authorization header a caller sends, if any. */
export function authorizationOf(caller: Caller): string | undefined {
  if (caller === 'none') return undefined;
  if (caller === 'wrong') return 'Bearer not-a-key-0123456789';
  return `Bearer ${KEYS[caller]}`;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  needs: 'public' | 'reader' | 'writer' | 'admin';
  stream?: boolean;
  body?: () => unknown;
  /** Of the body; CloudEvents unless said otherwise. */
  contentType?: string;
  /** Statuses that mean the call was let through and succeeded; 200 and 201 unless said otherwise. */
  success?: number[];
}

/** Expects an operation `auth-1` to exist. */
export const ROUTES: Route[] = [
  { method: 'GET', path: '/health/live', needs: 'public' },
  { method: 'GET', path: '/health/ready', needs: 'public' },
  { method: 'GET', path: '/v1/operations', needs: 'reader' },
  { method: 'GET', path: '/v1/operations/auth-1', needs: 'reader' },
  { method: 'GET', path: '/v1/operations/auth-1?atVersion=1', needs: 'reader' },
  { method: 'GET', path: '/v1/operations/auth-1/events', needs: 'reader' },
  { method: 'GET', path: '/v1/operations/auth-1/timeline', needs: 'reader' },
  { method: 'GET', path: '/v1/operations/auth-1/watch', needs: 'reader', stream: true },
  { method: 'GET', path: '/v1/events', needs: 'reader' },
  { method: 'GET', path: '/v1/events/watch', needs: 'reader', stream: true },
  { method: 'GET', path: '/v1/stats', needs: 'reader' },
  { method: 'GET', path: '/v1/stats/ingest', needs: 'reader' },
  { method: 'GET', path: '/v1/whoami', needs: 'reader' },
  { method: 'GET', path: '/v1/stats/stages?window=15m', needs: 'reader' },
  {
    method: 'POST',
    path: '/v1/operations/auth-1/events',
    needs: 'writer',
    body: () => cloudEvent('auth-1', 'x.noted'),
  },
  { method: 'GET', path: '/v1/dead-letters', needs: 'admin' },
  {
    method: 'POST',
    path: '/v1/dead-letters/republish',
    needs: 'admin',
    body: () => ({ ids: [999_999] }),
    contentType: 'application/json',
  },
  { method: 'GET', path: '/v1/admin/projections', needs: 'admin' },
  { method: 'GET', path: '/metrics', needs: 'reader' },
  { method: 'GET', path: '/docs-json', needs: 'public' },
  { method: 'GET', path: '/console/', needs: 'public' },
  { method: 'GET', path: '/console/operations/auth-1', needs: 'public' },
];

export function allowed(route: Route, caller: Caller): boolean {
  return route.needs === 'public' || RANK[caller] >= RANK[route.needs];
}

export interface RouteAnswer {
  status: number;
  type: string;
  auth?: string;
}

/** Status and content type of one call on 127.0.0.1:port; streams are cut as soon as the headers arrive. */
export function callRoute(port: number, route: Route, caller: Caller): Promise<RouteAnswer> {
  const headers: Record<string, string> = {};
  const authorization = authorizationOf(caller);
  if (authorization) headers.authorization = authorization;
  const body = route.body ? JSON.stringify(route.body()) : undefined;
  if (body) headers['content-type'] = route.contentType ?? 'application/cloudevents+json';
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: route.method, path: route.path, headers }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        type: String(res.headers['content-type'] ?? ''),
        auth: res.headers['www-authenticate'] as string | undefined,
      });
      res.destroy();
    });
    req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
    req.end(body);
  });
}
