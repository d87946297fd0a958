import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  acceptsInRange,
  acceptsRefusal,
  boundaryRequest,
  type BoundaryRequest,
  boundaryValues,
  INT4_MAX,
  type NumericParameter,
  numericParameters,
  type OpenApiLike,
} from '../support/numeric-parameters';
import { cloudEvent, createTestContext, type RunningApp, startTestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Issue 20: every numeric path, query and header parameter, found in the published OpenAPI
 * document, at, just inside and just beyond each declared bound and beyond Postgres int4 and
 * int8, against the real service and Postgres. In range: never a 5xx, never refused for that
 * parameter. Out of range: 400 problem+json naming it (404 for an id in the path), before any
 * query could fail on it.
 */

const OPERATION = 'bounds-1';

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown> | null;
  /** A stream that answered 200, left open. */
  stream?: OpenStream;
}

interface OpenStream {
  /** What arrived so far. */
  text: () => string;
  /** True once the server ended the stream (a stream only ends on an error or a shutdown). */
  endedByServer: () => boolean;
  close: () => void;
}

/** One raw request (headers as given); a stream that answers 200 is left open for the caller. */
function send(port: number, request: BoundaryRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const req = httpRequest(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers, agent: false },
      (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers['content-type'] ?? '');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        if (request.stream && status === 200) {
          let closedHere = false;
          let ended = false;
          res.on('close', () => (ended = !closedHere));
          const close = () => {
            closedHere = true;
            res.destroy();
          };
          resolve({ status, type, body: null, stream: { text: () => text, endedByServer: () => ended, close } });
          return;
        }
        res.on('end', () => {
          let parsed: Record<string, unknown> | null = null;
          try {
            parsed = type.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : null;
          } catch {
            parsed = null;
          }
          resolve({ status, type, body: parsed });
        });
      },
    );
    req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
    req.end(body);
  });
}

describe('numeric parameters at their bounds (issue 20)', () => {
  let service: RunningApp;
  let port: number;
  let parameters: NumericParameter[];

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), { INGEST_ENABLED: 'false' });
    port = ((await service.app.listen(0, '127.0.0.1').then(() => service.app.getHttpServer().address())) as AddressInfo)
      .port;
    const document = (await service.http().get('/docs-json').expect(200)).body as OpenApiLike;
    parameters = numericParameters(document);
    await service
      .http()
      .post(`/v1/operations/${OPERATION}/events`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(cloudEvent(OPERATION, 'operation.created')))
      .expect(201);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('answers the two requests of the issue with 4xx problem+json, not 500', async () => {
    const feed = await send(port, {
      method: 'GET',
      path: '/v1/events?limit=89&after=18965905600350871552',
      headers: {},
      body: undefined,
      stream: false,
    });
    expect(feed).toMatchObject({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: {
        field: 'after',
        detail:
          'after must be a feed cursor (a `nextAfter` or event-stream id, e.g. "8412:1042") or a global position ' +
          '(an integer from 0 to 9007199254740991), got "18965905600350871552"',
      },
    });
    const resume = await send(port, {
      method: 'POST',
      path: '/v1/admin/projections/rebuild/999999999999/resume',
      headers: {},
      body: undefined,
      stream: false,
    });
    expect(resume).toMatchObject({
      status: 404,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { detail: 'there is no replay job 999999999999' },
    });
  });

  it('finds every numeric parameter in the document, each with a declared minimum and maximum', () => {
    const names = parameters.map((p) => `${p.method} ${p.path} ${p.in}:${p.name}`).sort();
    // The ones known today; a new one joins the checks below without being listed here.
    const known = [
      'GET /v1/operations query:limit',
      'GET /v1/operations/{id} query:atVersion',
      'GET /v1/operations/{id}/events query:fromVersion',
      'GET /v1/operations/{id}/events query:limit',
      'GET /v1/events query:after',
      'GET /v1/events query:limit',
      'GET /v1/events/watch query:after',
      'GET /v1/events/watch header:last-event-id',
      'GET /v1/operations/{id}/watch header:last-event-id',
      'POST /v1/operations/{id}/events header:if-match',
      'GET /v1/dead-letters query:limit',
      'GET /v1/dead-letters query:cursor',
      'GET /v1/admin/projections/rebuild/{jobId} path:jobId',
      'POST /v1/admin/projections/rebuild/{jobId}/cancel path:jobId',
      'POST /v1/admin/projections/rebuild/{jobId}/resume path:jobId',
    ];
    expect(known.filter((name) => !names.includes(name))).toEqual([]);
    const undeclared = parameters.filter((p) => p.minimum === undefined || p.maximum === undefined);
    expect(undeclared.map((p) => `${p.method} ${p.path} ${p.name}`)).toEqual([]);
    // No declared maximum lets through what the column it meets cannot hold: versions and job ids are
    // Postgres integers, positions bigints handled as JavaScript safe integers.
    const int4 = (p: NumericParameter) =>
      ['atVersion', 'fromVersion', 'jobId', 'if-match'].includes(p.name) ||
      (p.name === 'last-event-id' && p.path.startsWith('/v1/operations/'));
    for (const p of parameters) {
      const ceiling = int4(p) ? INT4_MAX : 2n ** 53n - 1n;
      expect({ parameter: `${p.path} ${p.name}`, fits: p.maximum! <= ceiling }).toEqual({
        parameter: `${p.path} ${p.name}`,
        fits: true,
      });
    }
  });

  it('answers every boundary value of every numeric parameter as the contract says', async () => {
    const failures: string[] = [];
    const streams: {
      name: string;
      stream: OpenStream;
      resumesBefore: (position: number, version: number) => boolean;
    }[] = [];
    let checked = 0;
    for (const parameter of parameters) {
      const values = boundaryValues(parameter);
      expect(values.filter((v) => v.inRange).length).toBeGreaterThanOrEqual(2);
      expect(values.filter((v) => !v.inRange).length).toBeGreaterThanOrEqual(3);
      for (const { kind, value, inRange } of values) {
        const request = boundaryRequest(parameter, value, OPERATION, (id) => cloudEvent(id, 'x.noted'));
        const answer = await send(port, request);
        checked += 1;
        if (answer.stream) {
          const resume = Number(value);
          streams.push({
            name: `${request.path} ${JSON.stringify(request.headers)}`,
            stream: answer.stream,
            resumesBefore: (position, version) =>
              request.path.startsWith('/v1/operations/') ? resume < version : resume < position,
          });
        }
        const fine = inRange ? acceptsInRange(parameter, answer) : acceptsRefusal(parameter, answer);
        if (!fine) {
          failures.push(
            `${request.method} ${request.path} ${JSON.stringify(request.headers)} (${parameter.name} ${kind}, ` +
              `${inRange ? 'in range' : 'out of range'}) → ${answer.status} ${JSON.stringify(answer.body)}`,
          );
        }
      }
    }
    // The streams opened in range stay open: one more event reaches those that resume before it,
    // which shows their catch-up is over; by then none may have been ended by an error.
    const appended = await service
      .http()
      .post(`/v1/operations/${OPERATION}/events`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(cloudEvent(OPERATION, 'x.noted')))
      .expect(201);
    const { version, position } = appended.body.events[0] as { version: number; position: number };
    const reached = streams.filter((s) => s.resumesBefore(position, version));
    expect(reached.length).toBeGreaterThan(0);
    await waitFor('the new event on every stream that resumes before it', () =>
      reached.every((s) => s.stream.endedByServer() || s.stream.text().includes(`"version":${version},`)),
    );
    const ended = streams.filter((s) => s.stream.endedByServer()).map((s) => s.name);
    for (const { stream } of streams) stream.close();
    expect(ended).toEqual([]);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(parameters.length * 9);
  });

  it('refuses what Number() would take but is no decimal integer, naming the parameter', async () => {
    for (const raw of ['1e3', '0x10', '1.0', '', '%201', '+5', 'Infinity']) {
      const answer = await send(port, {
        method: 'GET',
        path: `/v1/operations/${OPERATION}?atVersion=${raw}`,
        headers: {},
        body: undefined,
        stream: false,
      });
      expect({ raw, status: answer.status, field: answer.body?.field }).toEqual({
        raw,
        status: 400,
        field: 'atVersion',
      });
    }
    const quoted = await send(port, {
      method: 'POST',
      path: `/v1/operations/${OPERATION}/events`,
      headers: { 'content-type': 'application/cloudevents+json', 'if-match': `"${INT4_MAX + 1n}"` },
      body: cloudEvent(OPERATION, 'x.noted'),
      stream: false,
    });
    expect({ status: quoted.status, field: quoted.body?.field }).toEqual({ status: 400, field: 'If-Match' });
    const jobId = await send(port, {
      method: 'GET',
      path: '/v1/admin/projections/rebuild/1e3',
      headers: {},
      body: undefined,
      stream: false,
    });
    expect({ status: jobId.status, field: jobId.body?.field }).toEqual({ status: 400, field: 'jobId' });
  });

  it('refuses ids past a Postgres bigint in a re-publish body, and expectedversion past an integer', async () => {
    const republish = await service
      .http()
      .post('/v1/dead-letters/republish')
      .send({ ids: [1e30] });
    expect({ status: republish.status, field: republish.body.field }).toEqual({ status: 400, field: 'ids' });
    const append = await service
      .http()
      .post(`/v1/operations/${OPERATION}/events`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(cloudEvent(OPERATION, 'x.noted', undefined, { expectedversion: 2 ** 31 })));
    expect({ status: append.status, field: append.body.field }).toEqual({ status: 400, field: 'expectedversion' });
  });
});
