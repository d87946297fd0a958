import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyRegistry } from '../../src/auth/api-key-registry';
import { WatchService } from '../../src/watch/watch.service';
import { ServiceProcess } from '../support/service-process';
import { cloudEvent, createTestContext, type RunningApp, startTestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const KEYS = {
  writerA: 'writer-a-0123456789abcdef',
  writerB: 'writer-b-0123456789abcdef',
  writerC: 'writer-c-0123456789abcdef',
  readerA: 'reader-a-0123456789abcdef',
  readerB: 'reader-b-0123456789abcdef',
  readerC: 'reader-c-0123456789abcdef',
};

/** A watch stream as a client sees it: status, what arrived, and whether the server ended it. */
class Stream {
  body = '';
  ended = false;

  private constructor(
    private readonly request: ClientRequest,
    readonly status: number,
    readonly headers: Record<string, unknown>,
  ) {}

  static open(baseUrl: string, path: string, key?: string): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${baseUrl}${path}`, {
        headers: { accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      });
      request.on('response', (response) => {
        const stream = new Stream(request, response.statusCode ?? 0, response.headers);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (stream.body += chunk));
        response.on('end', () => (stream.ended = true));
        response.on('close', () => (stream.ended = true));
        resolve(stream);
      });
      request.on('error', reject);
      request.end();
    });
  }

  close(): void {
    this.request.destroy();
  }
}

async function listen(service: RunningApp): Promise<string> {
  await service.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(service.app.getHttpServer().address() as AddressInfo).port}`;
}

describe('rate limits', () => {
  let service: RunningApp;

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), {
      INGEST_ENABLED: 'false',
      API_KEYS: `writer:${KEYS.writerA},writer:${KEYS.writerB},writer:${KEYS.writerC}`,
      RATE_LIMIT_APPENDS: '3',
      RATE_LIMIT_READS: '4',
      // Long enough for a burst to land in one window even on a loaded machine.
      RATE_LIMIT_WINDOW_MS: '5000',
    });
  });

  afterAll(async () => {
    await service?.close();
  });

  const append = (key: string, id: string) =>
    service
      .http()
      .post(`/v1/operations/${id}/events`)
      .set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(cloudEvent(id, 'custom.noted')));
  const read = (key: string, path: string) => service.http().get(path).set('authorization', `Bearer ${key}`);

  it('answers a burst over the append limit with 429 problems and Retry-After, per key, and serves the next window', async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, () => append(KEYS.writerA, 'burst-a')));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/\/too-many-requests$/),
      status: 429,
      detail: expect.stringContaining('RATE_LIMIT_APPENDS'),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(refused.headers['x-ratelimit-limit']).toBe('3');

    // Another key has its own count; reads have their own limit.
    await append(KEYS.writerB, 'burst-b').expect(201);
    await read(KEYS.writerA, '/v1/operations/burst-a').expect(200);
    // Probes are never limited.
    for (let i = 0; i < 6; i += 1) await service.http().get('/health/live').expect(200);

    // Nothing of a refused request was stored.
    expect((await read(KEYS.writerB, '/v1/operations/burst-a').expect(200)).body.version).toBe(3);
    // The next window serves the key again (the refused attempts meanwhile store nothing).
    await waitFor('the next window', async () => (await append(KEYS.writerA, 'burst-a')).status === 201, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect((await read(KEYS.writerB, '/v1/operations/burst-a').expect(200)).body.version).toBe(4);
  });

  it('limits reads separately, and a request without a valid key by its client address', async () => {
    const reads = await Promise.all(Array.from({ length: 6 }, () => read(KEYS.writerC, '/v1/whoami')));
    expect(reads.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 429, 429]);
    expect(reads.find((r) => r.status === 429)!.body.detail).toContain('RATE_LIMIT_READS');

    const anonymous = await Promise.all(Array.from({ length: 6 }, () => service.http().get('/v1/operations/x')));
    expect(anonymous.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe('watch stream caps and revoked keys', () => {
  let service: RunningApp;
  let baseUrl: string;
  let keysFile: string;
  const streams: Stream[] = [];
  const open = async (key: string, path = '/v1/events/watch') => {
    const stream = await Stream.open(baseUrl, path, key);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    keysFile = join(mkdtempSync(join(tmpdir(), 'opledger-keys-')), 'keys');
    writeFileSync(keysFile, `reader:${KEYS.readerA}\nreader:${KEYS.readerB}\nreader:${KEYS.readerC}\n`);
    service = await startTestApp(await createTestContext(), {
      INGEST_ENABLED: 'false',
      API_KEYS: `writer:${KEYS.writerA}`,
      API_KEYS_FILE: keysFile,
      WATCH_MAX_STREAMS: '4',
      WATCH_MAX_STREAMS_PER_KEY: '2',
    });
    baseUrl = await listen(service);
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await service?.close();
  });

  it('refuses a key its third stream (429) and the instance its fifth (503), and admits again once one closes', async () => {
    const [a1, a2] = [await open(KEYS.readerA), await open(KEYS.readerA, '/v1/operations/o-1/watch')];
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await open(KEYS.readerA);
    expect(a3.status).toBe(429);
    expect(a3.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(a3.body)).toMatchObject({ type: expect.stringMatching(/\/too-many-streams$/), status: 429 });
    expect(a3.headers['retry-after']).toBe('5');

    expect((await open(KEYS.readerB)).status).toBe(200);
    expect((await open(KEYS.writerA)).status).toBe(200);
    const fifth = await open(KEYS.readerC);
    expect(fifth.status).toBe(503);
    expect(JSON.parse(fifth.body)).toMatchObject({ type: expect.stringMatching(/\/too-many-streams$/), status: 503 });

    a2.close();
    await waitFor('a stream slot again', async () => {
      const retry = await open(KEYS.readerC);
      retry.close();
      return retry.status === 200;
    });
  });

  it('ends the streams of a key removed from API_KEYS_FILE within 5 s, keeps the others open, and refuses the key', async () => {
    for (const stream of streams.splice(0)) stream.close();
    const watch = service.app.get(WatchService);
    await waitFor('every earlier stream closed', () => watch.openStreams === 0);
    const ofA = await open(KEYS.readerA);
    const ofB = await open(KEYS.readerB, '/v1/operations/o-2/watch');
    expect([ofA.status, ofB.status]).toEqual([200, 200]);

    writeFileSync(keysFile, `reader:${KEYS.readerB}\nreader:${KEYS.readerC}\n`);
    const revokedAt = Date.now();
    await waitFor('the revoked key’s stream to end', () => ofA.ended, { timeoutMs: 5000, intervalMs: 20 });
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect(ofB.ended).toBe(false);
    expect(watch.openStreams).toBe(1);

    const refused = await open(KEYS.readerA);
    expect(refused.status).toBe(401);
    expect((await open(KEYS.readerC)).status).toBe(200);
    // A key from API_KEYS (the variable) is not in the file and stays valid.
    expect((await open(KEYS.writerA)).status).toBe(200);
  });

  it('keeps the keys in force when the file holds a bad entry', async () => {
    writeFileSync(keysFile, `reader:${KEYS.readerB}\nguest:${KEYS.readerA}\n`);
    expect(service.app.get(ApiKeyRegistry).reload('SIGHUP')).toBe(false);
    expect((await open(KEYS.readerC, '/v1/operations/o-3/watch')).status).toBe(200);
  });
});

describe('SIGHUP', () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
  });

  it('makes the service (its own process) read API_KEYS_FILE again and end the streams of a removed key', async () => {
    const keysFile = join(mkdtempSync(join(tmpdir(), 'opledger-keys-')), 'keys');
    writeFileSync(keysFile, `reader:${KEYS.readerA}\nreader:${KEYS.readerB}\n`);
    service = await ServiceProcess.start(await createTestContext(), {
      INGEST_ENABLED: 'false',
      API_KEYS_FILE: keysFile,
      LOG_LEVEL: 'info',
    });
    const ofA = await Stream.open(service.url, '/v1/events/watch', KEYS.readerA);
    const ofB = await Stream.open(service.url, '/v1/events/watch', KEYS.readerB);
    expect([ofA.status, ofB.status]).toEqual([200, 200]);
    try {
      writeFileSync(keysFile, `reader:${KEYS.readerB}\n`);
      process.kill(service.pid, 'SIGHUP');
      await waitFor('the revoked key’s stream to end', () => ofA.ended, { timeoutMs: 5000, intervalMs: 20 });
      await waitFor('the reload on SIGHUP in the log', () => service!.logs().includes('SIGHUP: API keys reloaded'), {
        timeoutMs: 5000,
      });
      expect(ofB.ended).toBe(false);
      expect(
        (await fetch(`${service.url}/v1/whoami`, { headers: { authorization: `Bearer ${KEYS.readerA}` } })).status,
      ).toBe(401);
    } finally {
      ofA.close();
      ofB.close();
    }
  });
});
