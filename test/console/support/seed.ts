import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { waitFor } from '../../support/wait-for';

export interface SeedEvent {
  type: string;
  source: string;
  /** Seconds after the seed's base time. */
  at: number;
  data?: Record<string, unknown>;
}

/**
 * Base time of the seeded operations: `order-retry` (still running) starts here, 25 s ago, so its
 * chart spans about half a minute; the finished ones happened a little earlier.
 */
export const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 25_000;

export function timeAt(seconds: number): string {
  return new Date(BASE_MS + Math.round(seconds * 1000)).toISOString();
}

const stage = (type: string, name: string, at: number, extra: Record<string, unknown> = {}): SeedEvent => ({
  type: `stage.${type}`,
  source: `pipeline/${name}`,
  at,
  data: { stage: name, ...extra },
});

/**
 * The operations the console tests look at. `order-retry`: enrich-geo fails once and is retried
 * while enrich-score runs in parallel; merge is still running. `order-done`: the same pipeline,
 * finished, no retry. `order-failed`: failed in validate. `xss-1`: values that would be markup.
 */
export const SEEDED: Record<string, SeedEvent[]> = {
  'order-retry': [
    { type: 'operation.created', source: 'pipeline/ingest', at: 0, data: { metadata: { customer: 'acme' } } },
    stage('started', 'validate', 1),
    stage('completed', 'validate', 2),
    stage('started', 'enrich-geo', 3),
    stage('started', 'enrich-score', 3.2),
    stage('failed', 'enrich-geo', 5, { error: { code: 'timeout', message: 'geo service timed out' } }),
    stage('started', 'enrich-geo', 6),
    stage('completed', 'enrich-score', 7),
    stage('completed', 'enrich-geo', 9),
    stage('started', 'merge', 10),
  ],
  'order-done': [
    { type: 'operation.created', source: 'pipeline/ingest', at: -100 },
    stage('started', 'validate', -99),
    stage('completed', 'validate', -98),
    stage('started', 'enrich-geo', -97),
    stage('started', 'enrich-score', -97),
    stage('completed', 'enrich-score', -96),
    stage('completed', 'enrich-geo', -94),
    stage('started', 'merge', -93),
    stage('completed', 'merge', -92),
    {
      type: 'operation.completed',
      source: 'pipeline/publish',
      at: -91.5,
      data: { result: { location: 's3://out/order-done.json' } },
    },
  ],
  'order-failed': [
    { type: 'operation.created', source: 'pipeline/ingest', at: -90 },
    stage('started', 'validate', -89),
    stage('failed', 'validate', -88, { error: 'schema mismatch' }),
    { type: 'operation.failed', source: 'pipeline/validate', at: -87.9, data: { error: 'schema mismatch' } },
  ],
  'xss-1': [
    { type: 'operation.created', source: 'pipeline/ingest', at: -80 },
    {
      type: 'metadata.updated',
      source: 'pipeline/ingest',
      at: -79,
      data: { metadata: { note: '<img src=x onerror=alert(1)>' } },
    },
    stage('started', '<b onmouseover=alert(2)>geo</b>', -78),
  ],
  'batch-7': [
    { type: 'operation.created', source: 'pipeline/batch', at: -70 },
    { type: 'stage.started', source: 'pipeline/batch', at: -69, data: { stage: 'export' } },
  ],
};

export function cloudEventOf(subject: string, event: SeedEvent) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: event.source,
    type: event.type,
    subject,
    time: timeAt(event.at),
    ...(event.data === undefined ? {} : { data: event.data }),
  };
}

export async function produce(producer: Producer, topic: string, subject: string, events: SeedEvent[]): Promise<void> {
  await producer.send({
    topic,
    messages: events.map((event) => ({ key: subject, value: JSON.stringify(cloudEventOf(subject, event)) })),
  });
}

/** Sends every seeded operation and one record that is not JSON (a dead letter), and waits until all are stored. */
export async function seed(
  producer: Producer,
  topic: string,
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<void> {
  for (const [subject, events] of Object.entries(SEEDED)) await produce(producer, topic, subject, events);
  await producer.send({ topic, messages: [{ key: 'broken-1', value: 'this is not JSON <script>alert(3)</script>' }] });
  await waitFor('the seeded operations to be stored', async () => {
    for (const [subject, events] of Object.entries(SEEDED)) {
      const response = await fetch(`${baseUrl}/v1/operations/${encodeURIComponent(subject)}`, { headers });
      if (response.status !== 200 || ((await response.json()) as { version: number }).version !== events.length)
        return false;
    }
    const ingest = (await (await fetch(`${baseUrl}/v1/stats/ingest`, { headers })).json()) as {
      deadLetters: { total: number };
    };
    return ingest.deadLetters.total >= 1;
  });
}
