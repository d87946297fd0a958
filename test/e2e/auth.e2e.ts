import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cloudEvent, createTestContext, type RunningApp, startTestApp } from '../support/test-app';

const KEYS = {
  reader: 'reader-key-0123456789abcdef',
  writer: 'writer-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdef0',
};
type Caller = 'none' | 'wrong' | keyof typeof KEYS;
const CALLERS: Caller[] = ['none', 'wrong', 'reader', 'writer', 'admin'];
const RANK: Record<Caller, number> = { none: -1, wrong: -1, reader: 0, writer: 1, admin: 2 };

interface Route {
  method: 'GET' | 'POST';
  path: string;
  needs: 'public' | 'reader' | 'writer' | 'admin';
  stream?: boolean;
  body?: () => unknown;
}

const ROUTES: Route[] = [
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
  {
    method: 'POST',
    path: '/v1/operations/auth-1/events',
    needs: 'writer',
    body: () => cloudEvent('auth-1', 'x.noted'),
  },
  { method: 'GET', path: '/v1/dead-letters', needs: 'admin' },
];

function allowed(route: Route, caller: Caller): boolean {
  return route.needs === 'public' || RANK[caller] >= RANK[route.needs];
}

describe('authentication and roles', () => {
  let service: RunningApp;
  let port: number;

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), {
      INGEST_ENABLED: 'false',
      API_KEYS: Object.entries(KEYS)
        .map(([role, key]) => `${role}:${key}`)
        .join(','),
    });
    await service.app.listen(0, '127.0.0.1');
    port = (service.app.getHttpServer().address() as AddressInfo).port;
    await service
      .http()
      .post('/v1/operations/auth-1/events')
      .set('authorization', `Bearer ${KEYS.writer}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(cloudEvent('auth-1', 'operation.created')))
      .expect(201);
  });

  afterAll(async () => {
    await service?.close();
  });

  /** Status and content type of one call; streams are cut as soon as the headers arrive. */
  function call(route: Route, caller: Caller): Promise<{ status: number; type: string; auth?: string }> {
    const headers: Record<string, string> = {};
    if (caller === 'wrong') headers.authorization = 'Bearer not-a-key-0123456789';
    else if (caller !== 'none') headers.authorization = `Bearer ${KEYS[caller]}`;
    const body = route.body ? JSON.stringify(route.body()) : undefined;
    if (body) headers['content-type'] = 'application/cloudevents+json';
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

  const cases = ROUTES.flatMap((route) =>
    CALLERS.map((caller) => [`${route.method} ${route.path}`, caller, route] as const),
  );

  it.each(cases)('%s as %s', async (_name, caller, route) => {
    const { status, type, auth } = await call(route, caller);
    if (allowed(route, caller)) {
      expect([200, 201]).toContain(status);
      if (route.stream) expect(type).toMatch(/^text\/event-stream/);
    } else if (caller === 'none' || caller === 'wrong') {
      expect(status).toBe(401);
      expect(type).toMatch(/^application\/problem\+json/);
      expect(auth).toMatch(/^Bearer realm="opledger"/);
    } else {
      expect(status).toBe(403);
      expect(type).toMatch(/^application\/problem\+json/);
    }
  });

  it('accepts the scheme name in any case and refuses other schemes', async () => {
    const route = ROUTES.find((r) => r.path === '/v1/stats')!;
    const lower = await service.http().get(route.path).set('authorization', `bearer ${KEYS.reader}`);
    expect(lower.status).toBe(200);
    const basic = await service
      .http()
      .get(route.path)
      .set('authorization', `Basic ${Buffer.from('a:b').toString('base64')}`);
    expect(basic.status).toBe(401);
  });
});
