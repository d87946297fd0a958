/**
 * The latency ceiling: the same produce → fetch path with no database at all.
 * Its latency is what Kafka and the kafkajs fetch loop cost on this machine;
 * nothing that stores events durably can beat it.
 */
import type { ConsumeOptions, RunningContender } from './seed-design';
import { createTimedConsumer, until } from './timed-consumer';

export async function startKafkaOnly(
  options: Omit<ConsumeOptions, 'databaseUrl' | 'onApplied'> & { onReceived: (eventId: string, at: number) => void },
): Promise<RunningContender> {
  const { consumer, joined } = createTimedConsumer(options.brokers, options.groupId, options.fetchMaxWaitMs);
  let received = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: options.partitionsConcurrency,
    eachBatch: async ({ batch }) => {
      const at = Date.now();
      for (const message of batch.messages) {
        options.onReceived((JSON.parse(message.value!.toString('utf8')) as { id: string }).id, at);
      }
      received += batch.messages.length;
    },
  });
  const finished = (async () => {
    const joinedAt = await joined;
    return { joinedAt, finishedAt: await until(() => received >= options.records) };
  })();
  return { joined, finished, stop: () => consumer.disconnect() };
}
