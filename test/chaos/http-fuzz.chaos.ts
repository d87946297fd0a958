import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import {
  acceptsInRange,
  acceptsRefusal,
  type BoundaryKind,
  boundaryGroup,
  boundaryRequest,
  type BoundaryValue,
  boundaryValues,
  type NumericParameter,
  numericParameters,
  type OpenApiLike,
} from '../support/numeric-parameters';
import { API_KEYS_ENV, authorizationOf, KEYS } from '../support/route-table';
import { cloudEvent, createTestContext } from '../support/test-app';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { writeResult } from './support/results';

const { requests } = CHAOS_SIZE.httpFuzz;
const BODY_LIMIT = 65_536;
const KNOWN_ID = 'fuzz-1';

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  stream: boolean;
}

interface Endpoint {
  method: 'GET' | 'POST';
  /** `{id}` and `{jobId}` are filled with fuzzed segments. */
  path: string;
  params: string[];
  stream?: boolean;
  body?: 'event' | 'rebuild';
}

const ENDPOINTS: Endpoint[] = [
  {
    method: 'GET',
    path: '/v1/operations',
    params: ['status', 'stage', 'stageStatus', 'source', 'updatedAfter', 'updatedBefore', 'limit', 'cursor'],
  },
  { method: 'GET', path: '/v1/operations/{id}', params: ['atVersion', 'asOf'] },
  { method: 'GET', path: '/v1/operations/{id}/events', params: ['fromVersion', 'limit'] },
  { method: 'GET', path: '/v1/operations/{id}/timeline', params: [] },
  { method: 'GET', path: '/v1/events', params: ['after', 'limit'] },
  { method: 'GET', path: '/v1/stats', params: [] },
  { method: 'GET', path: '/v1/dead-letters', params: ['limit', 'cursor'] },
  { method: 'POST', path: '/v1/operations/{id}/events', params: [], body: 'event' },
  { method: 'GET', path: '/v1/events/watch', params: ['after'], stream: true },
  { method: 'GET', path: '/v1/operations/{id}/watch', params: [], stream: true },
  { method: 'GET', path: '/v1/admin/projections', params: [] },
  { method: 'POST', path: '/v1/admin/projections/rebuild', params: [], body: 'rebuild' },
  { method: 'GET', path: '/v1/admin/projections/rebuild/{jobId}', params: [] },
  { method: 'POST', path: '/v1/admin/projections/rebuild/{jobId}/cancel', params: [] },
  { method: 'POST', path: '/v1/admin/projections/rebuild/{jobId}/resume', params: [] },
  { method: 'GET', path: '/metrics', params: [] },
  { method: 'GET', path: '/health/ready', params: [] },
];

/** `arbitrary` one time in `oneIn`, else null. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary, weight: 1 });

const text = (maxLength = 40) => fc.string({ maxLength });
const encoded = (maxLength = 40) =>
  fc.oneof(text(maxLength), fc.string({ unit: 'grapheme', maxLength })).map(encodeURIComponent);

const idSegment = fc.oneof(
  fc.constant(KNOWN_ID),
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,60}$/),
  encoded(80),
  fc.integer({ min: 201, max: 3_000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('%zz', '%', '%00', '%2F', '..', '%2e%2e', '%E0%A4%A', '%C0%AF', '-1', '0', '9'.repeat(30), '%20'),
);

const queryValue = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('0', '-1', '1e3', '1.5', '9007199254740993', 'NaN', 'true', '', ' ', '%zz', '[]', 'null'),
  fc.constantFrom('2026-11-25T16:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', '9999-12-31T23:59:59.999999Z'),
  fc.constantFrom('running', 'succeeded,failed', 'pending,,', 'RUNNING', 'skipped'),
  encoded(60),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'q'.repeat(n)),
);

const headerValue = fc.oneof(text(60), fc.constantFrom('"1"', 'W/"2"', '*', '"-1"', '""', '1'.repeat(40)));

const contentType = fc.oneof(
  fc.constantFrom(
    'application/cloudevents+json',
    'application/json',
    'application/cloudevents-batch+json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/xml',
    '',
  ),
  text(40),
);

function eventFor(id: string): Record<string, unknown> {
  return cloudEvent(id, 'stage.started', { stage: 'fuzz' });
}

/** A body for POST: valid-looking events with fuzzed attributes, random JSON, broken JSON, or far too much. */
const bodyFor = (id: string) =>
  fc.oneof(
    fc.constant(JSON.stringify(eventFor(id))),
    fc
      .record({ field: fc.constantFrom('id', 'time', 'subject', 'type', 'data', 'specversion', 'expectedversion') })
      .chain(({ field }) => fc.jsonValue().map((value) => JSON.stringify({ ...eventFor(id), [field]: value }))),
    fc
      .array(fc.oneof(fc.constant(eventFor(id)), fc.jsonValue()), { maxLength: 5 })
      .map((items) => JSON.stringify(items)),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.constantFrom('{', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}', '', 'null', '[]'),
    text(200),
    fc.integer({ min: BODY_LIMIT + 1, max: 2_000_000 }).map((n) => `{"blob":"${'x'.repeat(n)}"}`),
    fc.constant(JSON.stringify({ ...eventFor(id), data: { blob: 'y'.repeat(300_000) } })),
  );

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    endpoint: fc.constantFrom(...ENDPOINTS),
    id: idSegment,
    jobId: fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), idSegment),
    params: fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'after', 'x', 'status'), encoded(20)), queryValue), {
      maxLength: 4,
    }),
    useKnownParams: fc.boolean(),
    otherMethod: sometimes(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), 10),
    caller: sometimes(fc.constantFrom('none', 'wrong', 'reader', 'writer', 'garbage'), 5),
    garbageAuthorization: text(60),
    contentType: sometimes(contentType, 4),
    extraHeaders: fc.array(
      fc.tuple(fc.constantFrom('if-match', 'if-none-match', 'last-event-id', 'accept'), headerValue),
      {
        maxLength: 3,
      },
    ),
  })
  .chain((shape) =>
    (shape.endpoint.body === 'event'
      ? bodyFor(shape.id)
      : shape.endpoint.body === 'rebuild'
        ? fc.oneof(
            fc.jsonValue().map((pageSize) => JSON.stringify({ pageSize })),
            fc.constant('{}'),
            fc.constant('not json'),
          )
        : fc.constant(null)
    ).map((body): FuzzRequest => {
      const { endpoint } = shape;
      const path = endpoint.path.replace('{id}', shape.id).replace('{jobId}', shape.jobId);
      const params = shape.useKnownParams
        ? shape.params.map(([name, value], i) => [
            endpoint.params[i % Math.max(1, endpoint.params.length)] ?? name,
            value,
          ])
        : shape.params;
      // Raw '%zz' and friends stay as they are; what an HTTP client cannot put in a request line is encoded.
      const lineSafe = (part: string) => part.replace(/[^\x21-\x7e]/g, encodeURIComponent);
      const query = params.map(([name, value]) => `${lineSafe(name)}=${lineSafe(value)}`).join('&');
      const headers: Record<string, string> = {};
      const authorization =
        shape.caller === null
          ? authorizationOf('admin')
          : shape.caller === 'garbage'
            ? shape.garbageAuthorization
            : authorizationOf(shape.caller);
      if (authorization !== undefined) headers.authorization = authorization;
      if (body !== null) headers['content-type'] = shape.contentType ?? 'application/cloudevents+json';
      for (const [name, value] of shape.extraHeaders) headers[name] = value;
      return {
        method: shape.otherMethod ?? endpoint.method,
        path: query ? `${path}?${query}` : path,
        headers,
        body: body === null ? null : Buffer.from(body),
        stream: endpoint.stream === true,
      };
    }),
  );

interface BoundaryTarget {
  parameter: NumericParameter;
  boundary: BoundaryValue;
}

/** The value as a client might spell it: as it is, with leading zeros, as an ETag, padded. */
const spelling = fc.constantFrom<(value: string) => string>(
  (value) => value,
  (value) => (value.startsWith('-') ? `-00${value.slice(1)}` : `00${value}`),
  (value) => `"${value}"`,
  (value) => `W/"${value}"`,
  (value) => ` ${value} `,
  (value) => `+${value}`,
  (value) => `${value}.0`,
);

/**
 * A request whose numeric parameter is a boundary value (spelled one way or another), with
 * fuzzed company: other parameters, a caller, another operation id. Only the fuzz checks
 * apply (no 5xx, problem+json); the exact answers are checked by the exhaustive pass.
 */
function boundaryFuzzRequest(targets: BoundaryTarget[]): fc.Arbitrary<FuzzRequest & { boundary: BoundaryKind }> {
  return fc
    .record({
      target: fc.constantFrom(...targets),
      spell: spelling,
      id: fc.oneof({ arbitrary: fc.constant(KNOWN_ID), weight: 4 }, { arbitrary: idSegment, weight: 1 }),
      extra: fc.array(fc.tuple(fc.constantFrom('limit', 'after', 'fromVersion', 'x'), queryValue), { maxLength: 2 }),
      caller: sometimes(fc.constantFrom('none', 'reader', 'writer'), 5),
    })
    .map(({ target, spell, id, extra, caller }) => {
      const built = boundaryRequest(target.parameter, spell(target.boundary.value), id, eventFor);
      const query = extra.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
      const path = query ? `${built.path}${built.path.includes('?') ? '&' : '?'}${query}` : built.path;
      const headers = { ...built.headers };
      const authorization = authorizationOf(caller ?? 'admin');
      if (authorization !== undefined) headers.authorization = authorization;
      for (const [name, value] of Object.entries(headers)) headers[name] = value.replace(/[^\x20-\x7e]/g, '');
      return {
        method: built.method,
        path: path.replace(/[^\x21-\x7e]/g, encodeURIComponent),
        headers,
        body: built.body === undefined ? null : Buffer.from(JSON.stringify(built.body)),
        stream: built.stream,
        boundary: target.boundary.kind,
      };
    });
}

interface Answer {
  status: number;
  type: string;
  /** The parsed JSON body, when there is one. */
  body: Record<string, unknown> | null;
}

function jsonOf(type: string, bytes: Buffer): Record<string, unknown> | null {
  if (!type.includes('json')) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** One raw request; a stream is cut once its headers are in. Never rejects: a transport error is an answer too. */
function send(port: number, request: FuzzRequest): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: Answer | { error: string }) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        headers: request.headers,
        timeout: 30_000,
        // A connection of its own: a socket the server closed after a refused request is never reused.
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers['content-type'] ?? '');
        if (request.stream && status === 200) {
          settle({ status, type, body: null });
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.length < 64 && chunks.push(chunk));
        res.on('end', () => settle({ status, type, body: jsonOf(type, Buffer.concat(chunks)) }));
        res.on('error', () => settle({ status, type, body: null }));
      },
    );
    req.on('timeout', () => {
      settle({ error: 'no answer within 30 s' });
      req.destroy();
    });
    // A server may answer (413) and close before a huge body is written: the answer, if any, is what counts.
    req.on('error', (error) => setTimeout(() => settle({ error: String(error) }), 100));
    req.end(request.body ?? undefined);
  });
}

/** Node's default --max-http-header-size: the request line and headers together. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;

function headBytes(request: FuzzRequest): number {
  const headers = Object.entries(request.headers).reduce(
    (sum, [name, value]) => sum + name.length + value.length + 4,
    0,
  );
  return request.method.length + request.path.length + 12 + headers;
}

function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === null ? '' : ` body(${request.body.length} B)=${request.body.subarray(0, 200).toString()}`;
  return `${request.method} ${request.path.slice(0, 300)} headers=${JSON.stringify(request.headers)}${body}`;
}

describe('scenario 6: HTTP fuzzing', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it(`answers ${requests.toLocaleString('en')} generated requests without a 5xx, every error as problem+json`, async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    service = await ServiceProcess.start(await createTestContext(), {
      API_KEYS: API_KEYS_ENV,
      HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      MAX_EVENT_DATA_BYTES: '4096',
    });
    const seeded = await fetch(`${service.url}/v1/operations/${KNOWN_ID}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.writer}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(cloudEvent(KNOWN_ID, 'operation.created')),
    });
    expect(seeded.status).toBe(201);

    const byStatus: Record<string, number> = {};
    const serverErrors: string[] = [];
    const notProblems: string[] = [];
    const transportErrors: string[] = [];
    let overLimitResets = 0;
    const port = service.port;

    // Every numeric parameter the document declares, at, just inside and just beyond each bound
    // and beyond int4/int8: each value once, with the exact answer checked (400 naming it, 404 for a path id).
    const document = (await fetch(`${service.url}/docs-json`).then((response) => response.json())) as OpenApiLike;
    const parameters = numericParameters(document);
    const targets = parameters.flatMap((parameter) =>
      boundaryValues(parameter).map((boundary): BoundaryTarget => ({ parameter, boundary })),
    );
    const boundaryCounts: Record<string, number> = {};
    const countBoundary = (kind: BoundaryKind, phase: 'exact' | 'fuzzed') => {
      const name = `${phase}${boundaryGroup(kind)}`;
      boundaryCounts[name] = (boundaryCounts[name] ?? 0) + 1;
    };
    const boundaryMismatches: string[] = [];
    for (const { parameter, boundary } of targets) {
      const built = boundaryRequest(parameter, boundary.value, KNOWN_ID, eventFor);
      const request: FuzzRequest = {
        method: built.method,
        path: built.path,
        headers: { ...built.headers, authorization: authorizationOf('admin')! },
        body: built.body === undefined ? null : Buffer.from(JSON.stringify(built.body)),
        stream: built.stream,
      };
      const answer = await send(port, request);
      countBoundary(boundary.kind, 'exact');
      if ('error' in answer) {
        transportErrors.push(`${describeRequest(request)} → ${answer.error}`);
        continue;
      }
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      if (answer.status >= 500) serverErrors.push(`${describeRequest(request)} → ${answer.status}`);
      const fine = boundary.inRange ? acceptsInRange(parameter, answer) : acceptsRefusal(parameter, answer);
      if (!fine) {
        boundaryMismatches.push(
          `${describeRequest(request)} (${parameter.name} ${boundary.kind}) → ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
    }

    const mixed = fc.oneof(
      { arbitrary: fuzzRequest.map((request) => ({ ...request, boundary: null })), weight: 4 },
      { arbitrary: boundaryFuzzRequest(targets), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(mixed, async ({ boundary, ...request }) => {
        if (boundary !== null) countBoundary(boundary, 'fuzzed');
        const answer = await send(port, request);
        if ('error' in answer) {
          // Node's HTTP parser refuses a head over its 16 KiB limit before any application code runs,
          // sometimes by just closing the connection: counted, but not held against the service.
          if (headBytes(request) > NODE_MAX_HEADER_BYTES) overLimitResets += 1;
          else transportErrors.push(`${describeRequest(request)} → ${answer.error}`);
          return;
        }
        byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
        if (answer.status >= 500) serverErrors.push(`${describeRequest(request)} → ${answer.status}`);
        // HEAD answers carry no body, so no problem document either.
        if (answer.status >= 400 && request.method !== 'HEAD' && !answer.type.startsWith('application/problem+json')) {
          notProblems.push(`${describeRequest(request)} → ${answer.status} ${answer.type}`);
        }
      }),
      { numRuns: requests, seed, endOnFailure: true },
    );
    const live = await fetch(`${service.url}/health/live`).then(
      (response) => response.status,
      () => 0,
    );

    writeResult({
      scenario: 'http-fuzz',
      order: 6,
      title:
        'HTTP fuzzing of every endpoint (ids, parameters and every numeric bound, headers, bodies, content types, huge bodies)',
      sizeDescription: `${requests.toLocaleString('en')} generated requests + every boundary value once`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: null,
      figures: {
        requests: requests + targets.length,
        numericParameters: parameters.length,
        boundaryValuesExact: targets.length,
        ...Object.fromEntries(Object.entries(boundaryCounts).sort()),
        boundaryMismatches: boundaryMismatches.length,
        answered2xx: Object.entries(byStatus).reduce((n, [s, c]) => (Number(s) < 300 ? n + c : n), 0),
        answered4xx: Object.entries(byStatus).reduce(
          (n, [s, c]) => (Number(s) >= 400 && Number(s) < 500 ? n + c : n),
          0,
        ),
        answered5xx: serverErrors.length,
        errorsNotProblemJson: notProblems.length,
        transportErrors: transportErrors.length,
        resetsOverNodeHeaderLimit: overLimitResets,
        liveAfter: live,
        ...Object.fromEntries(
          [
            ['example5xx', serverErrors],
            ['exampleNotProblemJson', notProblems],
            ['exampleTransportError', transportErrors],
            ['exampleBoundaryMismatch', boundaryMismatches],
          ].flatMap(([name, list]) => (list.length > 0 ? [[name, (list[0] as string).slice(0, 400)]] : [])),
        ),
        statuses: Object.entries(byStatus)
          .map(([status, count]) => `${status}×${count}`)
          .join(' '),
      },
    });

    expect(serverErrors.slice(0, 10)).toEqual([]);
    expect(boundaryMismatches.slice(0, 10)).toEqual([]);
    expect(parameters.length).toBeGreaterThanOrEqual(15);
    expect(parameters.every((p) => p.minimum !== undefined && p.maximum !== undefined)).toBe(true);
    expect(notProblems.slice(0, 10)).toEqual([]);
    expect(transportErrors.slice(0, 10)).toEqual([]);
    expect(live).toBe(200);
  });
});
