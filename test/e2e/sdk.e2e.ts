import type { AddressInfo } from 'node:net';
import { OpledgerApi, OpledgerApiError, OpledgerClient } from '../../src/client';
import { createTestContext, queryDatabase, type RunningApp, startTestApp, type TestContext } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';

const WRITER_KEY = 'writer-key-0123456789';
const READER_KEY = 'reader-key-0123456789';

describe('producer SDK against a live service', () => {
  let context: TestContext;
  let service: RunningApp;
  let url: string;
  let api: OpledgerApi;
  const clients: OpledgerClient[] = [];

  const storedIds = async (operationId: string) =>
    (
      await queryDatabase<{ event_id: string }>(
        context.databaseUrl,
        'SELECT event_id FROM operation_events WHERE operation_id = $1 ORDER BY version',
        [operationId],
      )
    ).map((row) => row.event_id);

  function kafkaClient(source: string): OpledgerClient {
    const client = new OpledgerClient({
      source,
      kafka: { brokers: testInfrastructure().brokers, topic: context.topic, clientId: 'sdk-test' },
    });
    clients.push(client);
    return client;
  }

  function httpClient(source: string, apiKey = WRITER_KEY): OpledgerClient {
    const client = new OpledgerClient({ source, http: { url, apiKey, retries: 0 } });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    context = await createTestContext();
    service = await startTestApp(context, { API_KEYS: `writer:${WRITER_KEY},reader:${READER_KEY}` });
    await service.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(service.app.getHttpServer().address() as AddressInfo).port}`;
    api = new OpledgerApi({ url, apiKey: READER_KEY });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await service?.close();
  });

  it('over Kafka: a pipeline of services reports an operation from creation to success', async () => {
    const ingest = kafkaClient('pipeline/ingest');
    const geo = kafkaClient('pipeline/enrich-geo');
    const publish = kafkaClient('pipeline/publish');

    await ingest.created('sdk-k-1');
    await ingest.updateMetadata('sdk-k-1', { customer: 'acme', scratch: 'x' });
    await ingest.runStage('sdk-k-1', 'ingest', async () => undefined);
    await geo.stageStarted('sdk-k-1', 'enrich-geo');
    await geo.stageFailed('sdk-k-1', 'enrich-geo', new Error('geo API timed out'));
    await geo.stageStarted('sdk-k-1', 'enrich-geo');
    await geo.stageCompleted('sdk-k-1', 'enrich-geo');
    await publish.stageSkipped('sdk-k-1', 'publish', 'dry run');
    await ingest.updateMetadata('sdk-k-1', { scratch: null });
    await publish.completed('sdk-k-1', { location: 's3://out/sdk-k-1.json' });

    await waitFor('the operation to succeed', async () => {
      const state = await api.getOperation('sdk-k-1').catch(() => null);
      return state?.status === 'succeeded' && state.eventCount === 11;
    });
    const state = await api.getOperation('sdk-k-1');
    expect(state.metadata).toEqual({ customer: 'acme' });
    expect(state.result).toEqual({ location: 's3://out/sdk-k-1.json' });
    expect(state.stages.ingest).toMatchObject({ status: 'succeeded', attempts: 1, source: 'pipeline/ingest' });
    expect(state.stages['enrich-geo']).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(state.stages.publish).toMatchObject({ status: 'skipped', source: 'pipeline/publish' });
  });

  it('over Kafka: a resend with the same event id is stored once, and back-to-back events keep their order', async () => {
    const client = kafkaClient('pipeline/fast');
    const first = await client.created('sdk-k-2');
    await client.created('sdk-k-2', undefined, { id: first.event.id, time: first.event.time });
    for (let i = 0; i < 20; i += 1) {
      await client.stageStarted('sdk-k-2', `s${i}`);
      await client.stageCompleted('sdk-k-2', `s${i}`);
    }
    await waitFor('every distinct event stored', async () => (await storedIds('sdk-k-2')).length === 41);
    const ids = await storedIds('sdk-k-2');
    expect(ids.filter((id) => id === first.event.id)).toHaveLength(1);
    const state = await api.getOperation('sdk-k-2');
    // Same-millisecond events from one client still fold by the order it sent them.
    for (let i = 0; i < 20; i += 1) expect(state.stages[`s${i}`].status).toBe('succeeded');
  });

  it('over HTTP: answers with the stored version, repeats it for a retry, and honours expectedVersion', async () => {
    const client = httpClient('pipeline/http');
    const created = await client.created('sdk-h-1');
    expect(created.stored).toMatchObject({ status: 'appended', version: 1 });
    const started = await client.stageStarted('sdk-h-1', 'merge', undefined, { id: 'sdk-h-1-merge-start' });
    expect(started.stored).toMatchObject({ status: 'appended', version: 2 });

    const retry = await client.stageStarted('sdk-h-1', 'merge', undefined, {
      id: 'sdk-h-1-merge-start',
      time: started.event.time,
    });
    expect(retry.stored).toEqual({ ...started.stored, status: 'duplicate' });

    const conflict = await client.completed('sdk-h-1', undefined, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(OpledgerApiError);
    expect(conflict).toMatchObject({ status: 409, currentVersion: 2 });
    expect((await client.completed('sdk-h-1', undefined, { expectedVersion: 2 })).stored?.version).toBe(3);

    expect(await api.getOperation('sdk-h-1')).toMatchObject({ status: 'succeeded', version: 3, eventCount: 3 });
  });

  it('over HTTP: a key without the writer role is refused with the problem the service sent', async () => {
    const reader = httpClient('pipeline/http', READER_KEY);
    const refused = await reader.created('sdk-h-2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpledgerApiError);
    expect((refused as OpledgerApiError).status).toBe(403);
    expect((refused as OpledgerApiError).problem.title).toBeTruthy();
    await expect(api.getOperation('sdk-h-2')).rejects.toMatchObject({ status: 404 });
  });
});
