import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { recordsInProduceOrder, type Workload } from './workload';

export const BENCH_TOPIC_PARTITIONS = 12;
const MESSAGES_PER_SEND = 2000;
const SENDS_IN_FLIGHT = 4;

export interface PreloadResult {
  records: number;
  seconds: number;
}

export async function createTopic(
  brokers: string[],
  topic: string,
  partitions = BENCH_TOPIC_PARTITIONS,
): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces the whole workload (keyed by operation id, structured-mode CloudEvents) before anything consumes it. */
export async function preloadTopic(brokers: string[], topic: string, workload: Workload): Promise<PreloadResult> {
  await createTopic(brokers, topic);
  const kafka = new Kafka({ clientId: 'bench-preload', brokers, logLevel: logLevel.ERROR });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  let records = 0;
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (const window of recordsInProduceOrder(workload)) {
      for (let start = 0; start < window.length; start += MESSAGES_PER_SEND) {
        const messages = window
          .slice(start, start + MESSAGES_PER_SEND)
          .map((r) => ({ key: r.key, value: JSON.stringify(r.event) }));
        records += messages.length;
        const send = producer.send({ topic, messages, acks: 1 }).finally(() => inFlight.delete(send));
        inFlight.add(send);
        if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return { records, seconds: (Date.now() - started) / 1000 };
}
