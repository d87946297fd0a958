import {
  allowed,
  API_KEYS_ENV,
  authorizationOf,
  CALLERS,
  callRoute,
  KEYS,
  type Route,
  ROUTES,
} from '../support/route-table';
import { cloudEvent, createTestContext } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { writeResult } from './support/results';

describe('scenario 7: authentication matrix against the service process', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('lets exactly the allowed (route, caller) combinations through', async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    service = await ServiceProcess.start(await createTestContext(), { API_KEYS: API_KEYS_ENV });
    const admin = { authorization: authorizationOf('admin')! };
    const created = await fetch(`${service.url}/v1/operations/auth-1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.writer}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(cloudEvent('auth-1', 'operation.created')),
    });
    expect(created.status).toBe(201);
    // A finished rebuild job, so that its read route has something to show.
    const rebuild = await fetch(`${service.url}/v1/admin/projections/rebuild`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rebuild.status).toBe(202);
    const { jobId } = (await rebuild.json()) as { jobId: number };
    await waitFor('the rebuild to finish', async () => {
      const job = await fetch(`${service!.url}/v1/admin/projections/rebuild/${jobId}`, { headers: admin });
      return ((await job.json()) as { status: string }).status !== 'running';
    });

    // The regular suite's table, plus the rebuild routes it leaves out (they need a job).
    const routes: Route[] = [
      ...ROUTES,
      { method: 'GET', path: `/v1/admin/projections/rebuild/${jobId}`, needs: 'admin' },
      { method: 'POST', path: '/v1/admin/projections/rebuild', needs: 'admin', body: () => ({}), success: [202] },
    ];
    const mismatches: string[] = [];
    let allowedCalls = 0;
    let refusedCalls = 0;
    for (const route of routes) {
      for (const caller of CALLERS) {
        const answer = await callRoute(service.port, route, caller);
        const describe = `${route.method} ${route.path} as ${caller}: ${answer.status} ${answer.type}`;
        if (allowed(route, caller)) {
          allowedCalls += 1;
          const ok =
            (route.success ?? [200, 201]).includes(answer.status) &&
            (!route.stream || answer.type.startsWith('text/event-stream'));
          if (!ok) mismatches.push(`${describe}, expected success`);
        } else {
          refusedCalls += 1;
          const anonymous = caller === 'none' || caller === 'wrong';
          const ok =
            answer.status === (anonymous ? 401 : 403) &&
            answer.type.startsWith('application/problem+json') &&
            (!anonymous || /^Bearer realm="opledger"/.test(answer.auth ?? ''));
          if (!ok) mismatches.push(`${describe}, expected ${anonymous ? 401 : 403} problem+json`);
        }
      }
    }
    const live = await fetch(`${service.url}/health/live`);

    writeResult({
      scenario: 'auth',
      order: 7,
      title: 'Authentication: every route × (no key, wrong key, reader, writer, admin)',
      sizeDescription: `${routes.length} routes × ${CALLERS.length} callers`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: null,
      figures: {
        combinations: routes.length * CALLERS.length,
        allowedCalls,
        refusedCalls,
        mismatches: mismatches.length,
        liveAfter: live.status,
      },
    });

    expect(mismatches).toEqual([]);
    expect(live.status).toBe(200);
  });
});
