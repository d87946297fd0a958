import type { Producer } from 'kafkajs';
import {
  cloudEvent,
  connectProducer,
  createTestContext,
  type RunningApp,
  startTestApp,
  type TestContext,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

/** The value of one sample line of the Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('observability', () => {
  let context: TestContext;
  let service: RunningApp;
  let producer: Producer;

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context);
    producer = await connectProducer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await service?.close();
  });

  it('exports appended, duplicate and dead-lettered counts, batch and latency histograms, lag and HTTP metrics', async () => {
    const id = 'metrics-1';
    const events = [
      { ...cloudEvent(id, 'operation.created'), source: 'svc/metrics-a' },
      { ...cloudEvent(id, 'stage.started', { stage: 's' }), source: 'svc/metrics-a' },
      { ...cloudEvent(id, 'stage.completed', { stage: 's' }), source: 'svc/metrics-b' },
    ];
    const messages = [
      ...events.map((e) => ({ key: id, value: JSON.stringify(e) })),
      { key: id, value: JSON.stringify(events[0]) },
      { key: id, value: 'not json' },
      { key: id, value: JSON.stringify({ ...cloudEvent('someone-else', 'x.y') }) },
    ];
    await producer.send({ topic: context.topic, messages });
    await waitFor('the events', async () => (await service.http().get(`/v1/operations/${id}`)).body.version === 3);

    let text = '';
    await waitFor('dead letters counted and lag drained', async () => {
      text = (await service.http().get('/metrics').expect(200)).text;
      const lags = text.split('\n').filter((l) => l.startsWith('opledger_consumer_lag{'));
      return (
        sample(text, 'opledger_dead_letters_total', { reason: 'key_mismatch' }) === 1 &&
        lags.length > 0 &&
        lags.every((l) => l.endsWith(' 0'))
      );
    });
    expect(sample(text, 'opledger_events_appended_total', { type: 'stage.started', source: 'svc/metrics-a' })).toBe(1);
    expect(sample(text, 'opledger_events_appended_total', { type: 'stage.completed', source: 'svc/metrics-b' })).toBe(
      1,
    );
    expect(sample(text, 'opledger_events_duplicate_total')).toBe(1);
    expect(sample(text, 'opledger_dead_letters_total', { reason: 'invalid_json' })).toBe(1);
    expect(sample(text, 'opledger_append_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'opledger_append_batch_size_sum')).toBe(4);
    expect(sample(text, 'opledger_append_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'opledger_http_request_duration_seconds_count', { route: '/v1/operations/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'opledger_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'opledger_projection_rebuild_progress_ratio')).toBe(1);
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await service.http().get('/health/live').set('x-request-id', 'trace-42').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-42');
    const made = await service.http().get('/health/live').set('x-request-id', 'no spaces allowed').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('metrics access with API keys', () => {
  it('needs a key unless METRICS_PUBLIC=true', async () => {
    const keys = { API_KEYS: 'reader:reader-key-0123456789ab', INGEST_ENABLED: 'false' };
    const closed = await startTestApp(await createTestContext(), keys);
    try {
      await closed.http().get('/metrics').expect(401);
      await closed.http().get('/metrics').set('authorization', 'Bearer reader-key-0123456789ab').expect(200);
    } finally {
      await closed.close();
    }
    const open = await startTestApp(await createTestContext(), { ...keys, METRICS_PUBLIC: 'true' });
    try {
      await open.http().get('/metrics').expect(200);
      await open.http().get('/v1/stats').expect(401);
    } finally {
      await open.close();
    }
  });
});
