/**
 * The benchmark workload: operations of exactly ten events each, from eight
 * pipeline sources, produced roughly in time order with many operations in
 * flight, plus some late events (delivered after newer events of the same
 * operation) and some duplicates (the same event id delivered twice).
 *
 * Everything is a pure function of the operation index, so the same workload is
 * produced on every run and an operation's true event set can be regenerated
 * for verification.
 */
import { mixSeed, seededRandom } from './prng';

export const EVENTS_PER_OPERATION = 10;
/** Operations whose events are interleaved with one another in the topic. */
export const OPERATIONS_PER_WINDOW = 1000;
const LATE_PROBABILITY = 0.03;
const DUPLICATE_PROBABILITY = 0.01;
const SEED = 20261125;
const EPOCH_MS = Date.UTC(2026, 0, 1);
/** A new operation starts every 2 ms of producer time; its events are 20-80 ms apart. */
const START_SPACING_MS = 2;

const STAGES = ['validate', 'ocr', 'classify', 'enrich-geo'] as const;
export const SOURCES = [
  'pipeline/ingest',
  'pipeline/validate',
  'pipeline/ocr',
  'pipeline/classify',
  'pipeline/enrich-geo',
  'pipeline/orchestrator',
  'crm/sync',
  'ops/console',
] as const;

export interface CloudEventJson {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data?: Record<string, unknown>;
}

export interface WorkloadRecord {
  key: string;
  event: CloudEventJson;
}

export interface Workload {
  operations: number;
  /** Distinct events: operations × EVENTS_PER_OPERATION. */
  events: number;
}

export function workloadFor(events: number): Workload {
  const operations = Math.max(1, Math.round(events / EVENTS_PER_OPERATION));
  return { operations, events: operations * EVENTS_PER_OPERATION };
}

export function operationId(index: number): string {
  return `op-${index.toString().padStart(7, '0')}`;
}

type EventSketch = Pick<CloudEventJson, 'type' | 'source'> & { data?: Record<string, unknown> };

function stageEvents(stage: (typeof STAGES)[number], outcome: 'completed' | 'failed' | null): EventSketch[] {
  const source = `pipeline/${stage}`;
  const started: EventSketch = { type: 'stage.started', source, data: { stage } };
  if (outcome === null) return [started];
  if (outcome === 'failed') {
    return [started, { type: 'stage.failed', source, data: { stage, error: { code: 'TIMEOUT', after: '30s' } } }];
  }
  return [started, { type: 'stage.completed', source, data: { stage } }];
}

/** The ten events of one operation, in the order they happened (increasing time). */
export function eventsOfOperation(index: number): CloudEventJson[] {
  const random = seededRandom(mixSeed(SEED, index));
  const subject = operationId(index);
  const created: EventSketch = { type: 'operation.created', source: 'pipeline/ingest', data: { channel: 'upload' } };
  const metadata: EventSketch = {
    type: 'metadata.updated',
    source: 'crm/sync',
    data: { metadata: { customer: `customer-${index % 977}`, priority: random() < 0.2 ? 'high' : 'normal' } },
  };
  const orchestrator = 'pipeline/orchestrator';
  const shape = random();
  let sketches: EventSketch[];
  if (shape < 0.7) {
    // The common case: four stages succeed, then the operation does.
    sketches = [
      created,
      ...STAGES.flatMap((s) => stageEvents(s, 'completed')),
      {
        type: 'operation.completed',
        source: orchestrator,
        data: { result: { documentId: `doc-${index}`, pages: 1 + (index % 40) } },
      },
    ];
  } else if (shape < 0.85) {
    // The last stage fails and takes the operation with it.
    sketches = [
      created,
      ...STAGES.slice(0, 3).flatMap((s) => stageEvents(s, 'completed')),
      ...stageEvents('enrich-geo', 'failed'),
      {
        type: 'operation.failed',
        source: orchestrator,
        data: { error: { code: 'STAGE_FAILED', stage: 'enrich-geo' } },
      },
    ];
  } else {
    // Cancelled by an operator, restarted, and running again.
    sketches = [
      created,
      metadata,
      ...STAGES.slice(0, 2).flatMap((s) => stageEvents(s, 'completed')),
      { type: 'operation.cancelled', source: 'ops/console', data: { reason: 'customer request' } },
      { type: 'operation.restarted', source: orchestrator },
      ...stageEvents('classify', 'completed'),
    ];
  }
  let time = EPOCH_MS + index * START_SPACING_MS;
  return sketches.map((sketch, position) => {
    if (position > 0) time += 20 + Math.floor(random() * 60);
    return {
      specversion: '1.0',
      id: `${subject}-e${position}`,
      source: sketch.source,
      type: sketch.type,
      subject,
      time: new Date(time).toISOString(),
      ...(sketch.data ? { data: sketch.data } : {}),
    };
  });
}

interface Delivery {
  window: number;
  time: string;
  order: number;
  event: CloudEventJson;
}

/** How event `position` of operation `index` is delivered: on time, late, and/or twice. */
function deliveriesOf(index: number, window: number): Delivery[] {
  const random = seededRandom(mixSeed(SEED, index, 1));
  const deliveries: Delivery[] = [];
  eventsOfOperation(index).forEach((event, position) => {
    const late = position > 0 && random() < LATE_PROBABILITY;
    // A late event lands one or two windows later: after newer events of its operation.
    const arrival = late ? window + 1 + Math.floor(random() * 2) : window;
    deliveries.push({ window: arrival, time: event.time, order: index * 100 + position, event });
    if (random() < DUPLICATE_PROBABILITY) {
      deliveries.push({ window: arrival + 1, time: event.time, order: index * 100 + position, event });
    }
  });
  return deliveries;
}

/**
 * The records of the workload in the order they are produced: window by window,
 * each window's events sorted by time (many operations interleaved), late and
 * duplicate deliveries appended to the window in which they arrive.
 * `firstOperation` produces only operations firstOperation… (a log grown in steps).
 */
export function* recordsInProduceOrder(workload: Workload, firstOperation = 0): Generator<WorkloadRecord[]> {
  const windows = Math.ceil(workload.operations / OPERATIONS_PER_WINDOW);
  const pending = new Map<number, Delivery[]>();
  for (let window = Math.floor(firstOperation / OPERATIONS_PER_WINDOW); window < windows + 3; window += 1) {
    const first = Math.max(firstOperation, window * OPERATIONS_PER_WINDOW);
    const last = Math.min(workload.operations, window * OPERATIONS_PER_WINDOW + OPERATIONS_PER_WINDOW);
    for (let index = first; index < last; index += 1) {
      for (const delivery of deliveriesOf(index, window)) {
        const list = pending.get(delivery.window) ?? [];
        list.push(delivery);
        pending.set(delivery.window, list);
      }
    }
    const arriving = pending.get(window) ?? [];
    pending.delete(window);
    if (arriving.length === 0) continue;
    arriving.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.order - b.order));
    yield arriving.map((d) => ({ key: d.event.subject, event: d.event }));
  }
}
