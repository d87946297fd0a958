import { EventClock } from '../../src/client/event-clock';
import { InvalidEventError, type CloudEvent } from '../../src/client/cloud-event';
import { OpledgerClient } from '../../src/client/opledger-client';
import type { EventTransport, SendReceipt } from '../../src/client/transport';
import { canonicalTime } from '../../src/envelope/event-time';
import { parseCloudEvent } from '../../src/envelope/parse-cloud-event';
import { foldEvents } from '../../src/projection/operation-fold';

/** Keeps what the client sends, in order. */
class RecordingTransport implements EventTransport {
  readonly sent: { operationId: string; events: CloudEvent[] }[] = [];
  closed = false;

  async send(operationId: string, events: readonly CloudEvent[]): Promise<SendReceipt[]> {
    this.sent.push({ operationId, events: [...events] });
    return events.map((event) => ({ eventId: event.id, stored: null }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get events(): CloudEvent[] {
    return this.sent.flatMap((s) => s.events);
  }
}

function newClient() {
  const transport = new RecordingTransport();
  return { transport, client: new OpledgerClient({ source: 'pipeline/test', transport }) };
}

describe('EventClock', () => {
  it('never repeats or goes back, even when the wall clock stands still or jumps back', () => {
    const readings = [5_000_000, 5_000_000, 5_000_000, 4_000_000, 6_000_123];
    const clock = new EventClock(() => readings.shift()!);
    const times = Array.from({ length: 5 }, () => clock.next());
    expect(times).toEqual([
      '1970-01-01T00:00:05.000000Z',
      '1970-01-01T00:00:05.000001Z',
      '1970-01-01T00:00:05.000002Z',
      '1970-01-01T00:00:05.000003Z',
      '1970-01-01T00:00:06.000123Z',
    ]);
    // Already canonical: the service stores exactly these instants.
    for (const time of times) expect(canonicalTime(time)).toBe(time);
  });
});

describe('OpledgerClient', () => {
  it('builds a valid CloudEvent for every event type, keyed by the operation', async () => {
    const { client, transport } = newClient();
    await client.created('op-1', { customer: 'acme' });
    await client.stageStarted('op-1', 'enrich');
    await client.stageCompleted('op-1', 'enrich', { rows: 3 });
    await client.stageFailed('op-1', 'enrich', new Error('boom'));
    await client.stageSkipped('op-1', 'score', 'not needed');
    await client.updateMetadata('op-1', { customer: 'acme', obsolete: null });
    await client.completed('op-1', { url: 's3://x' });
    await client.failed('op-1', 'gave up');
    await client.cancelled('op-1', 'by operator');
    await client.restarted('op-1');

    expect(transport.sent.every((s) => s.operationId === 'op-1')).toBe(true);
    const parsed = transport.events.map((event) => parseCloudEvent(event));
    for (const result of parsed) expect(result).toMatchObject({ ok: true });
    expect(transport.events.map((e) => [e.type, e.data])).toEqual([
      ['operation.created', { customer: 'acme' }],
      ['stage.started', { stage: 'enrich' }],
      ['stage.completed', { rows: 3, stage: 'enrich' }],
      ['stage.failed', { stage: 'enrich', error: { name: 'Error', message: 'boom' } }],
      ['stage.skipped', { stage: 'score', reason: 'not needed' }],
      ['metadata.updated', { metadata: { customer: 'acme', obsolete: null } }],
      ['operation.completed', { result: { url: 's3://x' } }],
      ['operation.failed', { error: 'gave up' }],
      ['operation.cancelled', { reason: 'by operator' }],
      ['operation.restarted', undefined],
    ]);
    const ids = transport.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(transport.events.every((e) => e.source === 'pipeline/test' && e.subject === 'op-1')).toBe(true);
  });

  it('orders a fast stage correctly: started and completed in the same millisecond still fold to succeeded', async () => {
    const { client, transport } = newClient();
    for (let i = 0; i < 50; i += 1) {
      await client.stageStarted(`op-${i}`, 'fast');
      await client.stageCompleted(`op-${i}`, 'fast');
    }
    for (let i = 0; i < 50; i += 1) {
      const events = transport.sent.filter((s) => s.operationId === `op-${i}`).flatMap((s) => s.events);
      const folded = foldEvents(events.map((e) => (parseCloudEvent(e) as { ok: true; event: never }).event));
      expect(folded?.state.stages.fast.status).toBe('succeeded');
    }
  });

  it("sends the caller's id, expected version, time and source as given", async () => {
    const { client, transport } = newClient();
    const result = await client.stageStarted('op-2', 's', undefined, {
      id: 'retry-me-1',
      expectedVersion: 4,
      time: '2026-01-02T03:04:05.5+01:00',
      source: 'pipeline/other',
    });
    expect(result.event).toEqual({
      specversion: '1.0',
      id: 'retry-me-1',
      source: 'pipeline/other',
      type: 'stage.started',
      subject: 'op-2',
      time: '2026-01-02T03:04:05.5+01:00',
      data: { stage: 's' },
      expectedversion: 4,
    });
    expect(parseCloudEvent(result.event)).toMatchObject({ ok: true, event: { expectedVersion: 4 } });
    expect(transport.events).toEqual([result.event]);
  });

  it('refuses, before sending, an event the service would dead-letter', async () => {
    const { client, transport } = newClient();
    await expect(client.created('bad id!')).rejects.toThrow(InvalidEventError);
    await expect(client.stageStarted('op-3', '')).rejects.toMatchObject({ field: 'data.stage' });
    await expect(client.emit('op-3', 'x.y', undefined, { time: 'yesterday' })).rejects.toMatchObject({
      field: 'time',
    });
    const small = new OpledgerClient({ source: 's', transport, maxDataBytes: 10 });
    await expect(small.created('op-3', { text: 'far more than ten bytes' })).rejects.toThrow(/over the limit/);
    expect(transport.sent).toHaveLength(0);
  });

  it('runStage reports started then completed, or started then failed and rethrows', async () => {
    const { client, transport } = newClient();
    await expect(client.runStage('op-4', 'geo', async () => 42)).resolves.toBe(42);
    await expect(
      client.runStage('op-4', 'score', async () => {
        throw new TypeError('no score');
      }),
    ).rejects.toThrow('no score');
    expect(transport.events.map((e) => `${e.type} ${String(e.data?.stage)}`)).toEqual([
      'stage.started geo',
      'stage.completed geo',
      'stage.started score',
      'stage.failed score',
    ]);
    expect(transport.events[3].data?.error).toEqual({ name: 'TypeError', message: 'no score' });
  });

  it('sendBatch refuses events of another operation and close() closes the transport', async () => {
    const { client, transport } = newClient();
    const mine = client.build('op-5', 'operation.created');
    const other = client.build('op-6', 'operation.created');
    await expect(client.sendBatch('op-5', [mine, other])).rejects.toThrow(/op-6/);
    await expect(client.sendBatch('op-5', [mine])).resolves.toEqual([{ eventId: mine.id, stored: null, event: mine }]);
    await client.close();
    expect(transport.closed).toBe(true);
  });
});
