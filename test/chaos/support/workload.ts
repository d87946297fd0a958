import type { Producer } from 'kafkajs';
import type { ReferenceEvent } from '../../support/reference-fold';
import { RequestGate } from './request-gate';

/** A structured-mode CloudEvent as producers send it. */
export interface ChaosEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data?: Record<string, unknown>;
}

/** What the test expects opledger to store: the event and its `time` in canonical form. */
export interface SentEvent {
  event: ChaosEvent;
  canonicalTime: string;
}

/** Every distinct event sent, by operation id: the truth the database is checked against. */
export type SentLedger = Map<string, SentEvent[]>;

/** A small seeded generator (mulberry32): the same seed gives the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
export const integer = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function hex(random: Random, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i += 1) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Microseconds since the epoch → `2026-01-01T00:00:00.123456Z`. */
function canonicalFromMicros(micros: number): string {
  const seconds = new Date(Math.floor(micros / 1_000_000) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
}

/** The same instant written with a UTC offset (and fewer digits when they are zeros), as some producers do. */
function withOffset(micros: number, offsetMinutes: number): string {
  const local = canonicalFromMicros(micros + offsetMinutes * 60_000_000).slice(0, 26);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const STAGE_POOL = ['fetch', 'parse', 'ocr', 'classify', 'enrich-geo', 'merge', 'store', 'notify'];
const METADATA_KEYS = ['owner', 'priority', 'region'];

/**
 * A random valid history of one operation, in the order a pipeline would emit
 * it: created, stages (skips, retries after failures, stages still running),
 * metadata changes and deletions, a terminal event or none, sometimes a restart
 * and a second run. Times increase, with some exact ties (decided by id).
 */
export function randomHistory(operationId: string, random: Random, startMicros: number): SentEvent[] {
  const history: SentEvent[] = [];
  let clock = startMicros;
  let counter = 0;
  const emit = (type: string, source: string, data?: Record<string, unknown>) => {
    // One event in twenty shares the previous one's instant: the id decides between them.
    if (history.length === 0 || random() >= 0.05) clock += integer(random, 1, 5_000);
    counter += 1;
    const offset = random() < 0.2 ? pick(random, [-300, -60, 60, 120, 330]) : 0;
    const event: ChaosEvent = {
      specversion: '1.0',
      id: `${operationId}.${counter}-${hex(random, 8)}`,
      source,
      type,
      subject: operationId,
      time: offset === 0 ? canonicalFromMicros(clock) : withOffset(clock, offset),
      ...(data === undefined ? {} : { data }),
    };
    history.push({ event, canonicalTime: canonicalFromMicros(clock) });
  };
  const runStages = (names: string[]) => {
    for (const stage of names) {
      const source = `pipeline/${stage}`;
      if (random() < 0.1) {
        emit('stage.skipped', source, { stage });
        continue;
      }
      const attempts = random() < 0.2 ? 2 : 1;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        emit('stage.started', source, { stage });
        const outcome = attempt < attempts ? 0.9 : random();
        if (outcome < 0.7) emit('stage.completed', source, { stage });
        else if (outcome < 0.9) emit('stage.failed', source, { stage, error: `${stage} failed (${attempt})` });
        // else: still running
      }
      if (random() < 0.15) {
        const key = pick(random, METADATA_KEYS);
        emit('metadata.updated', source, { metadata: { [key]: random() < 0.3 ? null : `${key}-${hex(random, 3)}` } });
      }
    }
  };
  const terminal = () => {
    const r = random();
    if (r < 0.55) emit('operation.completed', 'pipeline/orchestrator', { result: { invoice: hex(random, 6) } });
    else if (r < 0.75) emit('operation.failed', 'pipeline/orchestrator', { error: `gave up ${hex(random, 4)}` });
    else if (r < 0.85) emit('operation.cancelled', 'pipeline/orchestrator', { reason: 'customer request' });
    // else: still in progress
  };

  if (random() < 0.95) emit('operation.created', 'pipeline/intake', { metadata: { channel: 'api' } });
  if (random() < 0.5) emit('metadata.updated', 'pipeline/intake', { metadata: { owner: 'team-a', priority: 1 } });
  runStages(shuffle(random, [...STAGE_POOL]).slice(0, integer(random, 1, 4)));
  if (random() < 0.08) emit('custom.noted', 'pipeline/audit', { note: 'looked at' });
  terminal();
  if (random() < 0.15) {
    emit('operation.restarted', 'pipeline/orchestrator');
    runStages([pick(random, STAGE_POOL)]);
    terminal();
  }
  return history;
}

/** The events as the reference fold reads them: canonical time, absent data as null. */
export function asReferenceEvents(sent: readonly SentEvent[]): ReferenceEvent[] {
  return sent.map(({ event, canonicalTime }) => ({
    id: event.id,
    type: event.type,
    source: event.source,
    time: canonicalTime,
    data: event.data ?? null,
  }));
}

/** Histories for `count` new operations named `<prefix>-<n>`, spread over distinct start instants. */
export function generateOperations(prefix: string, count: number, random: Random, ledger: SentLedger): SentEvent[] {
  const base = Date.UTC(2026, 0, 1) * 1000;
  const events: SentEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = `${prefix}-${ledger.size}`;
    const history = randomHistory(id, random, base + integer(random, 0, 3_600_000_000));
    ledger.set(id, history);
    events.push(...history);
  }
  return events;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends events to Kafka keyed by operation id, in the given order, `chunk` records per send. */
export async function produceInOrder(
  producer: Producer,
  topic: string,
  events: readonly SentEvent[],
  chunk = 50,
): Promise<void> {
  for (let start = 0; start < events.length; start += chunk) {
    await producer.send({
      topic,
      messages: events
        .slice(start, start + chunk)
        .map(({ event }) => ({ key: event.subject, value: JSON.stringify(event) })),
    });
  }
}

export interface HttpAppendStats {
  requests: number;
  /** 503 answers (the documented "retry with the same ids"), each followed by a retry. */
  unavailableRetries: number;
  /** Requests that could not reach the service (it was down), each followed by a retry. */
  connectionRetries: number;
  /** Any other answer than 200/201/503: each is a failure of the run. */
  failures: string[];
}

export const emptyHttpStats = (): HttpAppendStats => ({
  requests: 0,
  unavailableRetries: 0,
  connectionRetries: 0,
  failures: [],
});

/**
 * POSTs one event until the service acknowledges it, as a well-behaved
 * producer does: a 503 or a refused connection (the service restarting) is
 * retried with the same event id, which idempotency makes safe; anything else
 * is recorded as a failure. Gives up at the deadline.
 */
export async function appendOverHttp(
  baseUrl: string,
  event: ChaosEvent,
  stats: HttpAppendStats,
  {
    deadlineMs = 120_000,
    headers = {} as Record<string, string>,
    abandoned = () => false,
    gate = new RequestGate(),
  }: { deadlineMs?: number; headers?: Record<string, string>; abandoned?: () => boolean; gate?: RequestGate } = {},
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt += 1) {
    stats.requests += 1;
    let response: Response;
    try {
      response = await gate.through(() =>
        fetch(`${baseUrl}/v1/operations/${event.subject}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents+json', ...headers },
          body: JSON.stringify(event),
        }),
      );
    } catch (error) {
      if (Date.now() > deadline || abandoned()) {
        stats.failures.push(`${event.id}: unreachable until the deadline (${String(error)})`);
        return false;
      }
      stats.connectionRetries += 1;
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
      continue;
    }
    const body = await response.text();
    if (response.status === 200 || response.status === 201) return true;
    if (response.status === 503 && Date.now() < deadline && !abandoned()) {
      stats.unavailableRetries += 1;
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
      continue;
    }
    stats.failures.push(`${event.id}: ${response.status} ${body.slice(0, 300)}`);
    return false;
  }
}

export interface SteadyProducerOptions {
  producer: Producer;
  topic: string;
  ledger: SentLedger;
  prefix: string;
  random: Random;
  operationsPerTick: number;
  tickMs: number;
  /** How long one send may keep failing (broker down) before the run counts it as lost by the producer. */
  sendDeadlineMs?: number;
}

/** Where each produced record landed, to compare with the consumer group's committed offsets. */
export interface RecordPlacement {
  partition: number;
  offset: number;
  /** When the broker acknowledged it (ms since the epoch). */
  acknowledgedAt: number;
}

/**
 * Keeps producing new operations to Kafka at a steady pace until stopped: each
 * operation's events in one send, keyed by operation id, in shuffled order (as
 * parallel pipeline stages deliver them). A failed send (broker down) is
 * retried with the same events until it is acknowledged: Kafka producers are
 * at-least-once, and opledger's idempotency is what makes that safe.
 */
export class SteadyProducer {
  acknowledgedEvents = 0;
  sendRetries = 0;
  readonly failures: string[] = [];
  readonly placements = new Map<string, RecordPlacement>();
  private stopped = false;
  private paused: Promise<void> | null = null;
  private resumePaused: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: SteadyProducerOptions) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Resolves once no send is in flight and none will start until resume(). */
  async pause(): Promise<void> {
    this.paused ??= new Promise((resolve) => (this.resumePaused = resolve));
    await this.inFlight;
  }

  resume(): void {
    this.resumePaused?.();
    this.paused = null;
    this.resumePaused = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resume();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { ledger, prefix, random, operationsPerTick, tickMs } = this.options;
    while (!this.stopped) {
      const tickStarted = Date.now();
      for (let i = 0; i < operationsPerTick && !this.stopped; i += 1) {
        if (this.paused) await this.paused;
        const history = shuffle(random, generateOperations(prefix, 1, random, ledger));
        this.inFlight = this.sendUntilAcknowledged(history);
        await this.inFlight;
      }
      await sleep(Math.max(0, tickMs - (Date.now() - tickStarted)));
    }
  }

  private async sendUntilAcknowledged(history: SentEvent[]): Promise<void> {
    const deadline = Date.now() + (this.options.sendDeadlineMs ?? 120_000);
    for (;;) {
      try {
        const [metadata] = await this.options.producer.send({
          topic: this.options.topic,
          messages: history.map(({ event }) => ({ key: event.subject, value: JSON.stringify(event) })),
        });
        const acknowledgedAt = Date.now();
        history.forEach(({ event }, index) =>
          this.placements.set(event.id, {
            partition: metadata.partition,
            offset: Number(metadata.baseOffset) + index,
            acknowledgedAt,
          }),
        );
        this.acknowledgedEvents += history.length;
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          this.failures.push(`send of ${history[0].event.subject} never acknowledged: ${String(error)}`);
          return;
        }
        this.sendRetries += 1;
        await sleep(250);
      }
    }
  }
}

/** Tells HTTP writers to finish the operation in hand and stop, or (cleanup after a failure) to give up at once. */
export interface WriterControl {
  stopping: boolean;
  abandoned: boolean;
  /** Holds the writers' requests back while closed. */
  gate?: RequestGate;
}

/**
 * An HTTP producer: new operations one after another, each operation's events
 * POSTed one at a time in shuffled order, until told to stop.
 */
export async function runHttpWriter(
  baseUrl: string,
  prefix: string,
  ledger: SentLedger,
  random: Random,
  stats: HttpAppendStats,
  control: WriterControl,
): Promise<void> {
  while (!control.stopping && !control.abandoned) {
    const history = shuffle(random, generateOperations(prefix, 1, random, ledger));
    for (const { event } of history) {
      if (control.abandoned) return;
      await appendOverHttp(baseUrl, event, stats, { abandoned: () => control.abandoned, gate: control.gate });
    }
  }
}
