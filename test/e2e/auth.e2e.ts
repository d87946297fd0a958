import type { AddressInfo } from 'node:net';
import {
  allowed,
  API_KEYS_ENV,
  CALLERS,
  type Caller,
  callRoute,
  KEYS,
  type Route,
  ROUTES,
} from '../support/route-table';
import { cloudEvent, createTestContext, type RunningApp, startTestApp } from '../support/test-app';

describe('authentication and roles', () => {
  let service: RunningApp;
  let port: number;

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), {
      INGEST_ENABLED: 'false',
      API_KEYS: API_KEYS_ENV,
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

  const call = (route: Route, caller: Caller) => callRoute(port, route, caller);

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
