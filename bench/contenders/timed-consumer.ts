import { Consumer, EachBatchPayload, Kafka, logLevel } from 'kafkajs';

export interface TimedConsumer {
  consumer: Consumer;
  /** Resolves with the moment the consumer joined its group (the start of the clock). */
  joined: Promise<number>;
}

/** A kafkajs consumer for the harness's own contenders, with the service's fetch settings. */
export function createTimedConsumer(brokers: string[], groupId: string, fetchMaxWaitMs: number): TimedConsumer {
  const kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: fetchMaxWaitMs, sessionTimeout: 30_000 });
  const joined = new Promise<number>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve(Date.now())));
  return { consumer, joined };
}

/** Commits the batch's offset explicitly, as the service does after each chunk. */
export async function commitBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
  const last = payload.batch.lastOffset();
  payload.resolveOffset(last);
  await consumer.commitOffsets([
    { topic: payload.batch.topic, partition: payload.batch.partition, offset: (BigInt(last) + 1n).toString() },
  ]);
}

/** Resolves once `done()` holds, checking every few milliseconds. */
export async function until(done: () => boolean, intervalMs = 10): Promise<number> {
  while (!done()) await new Promise((r) => setTimeout(r, intervalMs));
  return Date.now();
}
