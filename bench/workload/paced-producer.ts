import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { recordsInProduceOrder, workloadFor, type WorkloadRecord } from './workload';

const TICK_MS = 5;

export interface PacedRun {
  /** When the first record was scheduled. */
  startedAt: number;
  /** Scheduled send time (ms since epoch) of each event id's first delivery. */
  sentAt: Map<string, number>;
  records: number;
  /** How far behind schedule the producer fell at worst, ms (it should stay near 0). */
  worstLagMs: number;
}

export async function connectProducer(brokers: string[]): Promise<Producer> {
  const producer = new Kafka({ clientId: 'bench-paced', brokers, logLevel: logLevel.ERROR }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

function* endlessRecords(): Generator<WorkloadRecord> {
  for (const window of recordsInProduceOrder(workloadFor(10_000_000))) yield* window;
}

/**
 * Produces workload records at a steady rate. Each record's latency is later
 * measured from its *scheduled* send time, not from when the send call got to
 * run, so a stalled producer or event loop shows up as latency instead of
 * silently thinning the load (coordinated omission).
 */
export async function producePaced(
  producer: Producer,
  topic: string,
  eventsPerSecond: number,
  durationMs: number,
): Promise<PacedRun> {
  const records = endlessRecords();
  const sentAt = new Map<string, number>();
  const startedAt = Date.now();
  const total = Math.round((eventsPerSecond * durationMs) / 1000);
  let sent = 0;
  let worstLagMs = 0;
  const sends: Promise<unknown>[] = [];
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - startedAt) * eventsPerSecond) / 1000));
    const messages: { key: string; value: string }[] = [];
    for (; sent < due; sent += 1) {
      const { key, event } = records.next().value as WorkloadRecord;
      const scheduled = startedAt + (sent * 1000) / eventsPerSecond;
      worstLagMs = Math.max(worstLagMs, now - scheduled);
      if (!sentAt.has(event.id)) sentAt.set(event.id, scheduled);
      messages.push({ key, value: JSON.stringify(event) });
    }
    if (messages.length > 0) sends.push(producer.send({ topic, messages }));
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(sends);
  return { startedAt, sentAt, records: total, worstLagMs };
}
