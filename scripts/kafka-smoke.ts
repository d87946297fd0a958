/**
 * End-to-end check of the local Kafka launcher: start a broker in a temp dir, create a
 * 3-partition topic, produce and consume 3 messages, stop, then restart on the same data dir
 * (with new ports) and read the messages again.
 *
 *   npx ts-node --transpile-only scripts/kafka-smoke.ts [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafkaJars, startLocalKafka } from '../src/local-infra/local-kafka';

const TOPIC = 'smoke';
const MESSAGE_COUNT = 3;

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(2)} s`;
}

async function consumeAll(brokers: string, groupId: string): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'kafka-smoke', brokers: [brokers], logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId });
  const received: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only got ${received.length} messages`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString() ?? '');
        if (received.length === MESSAGE_COUNT) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return received.sort();
}

async function main(): Promise<void> {
  const log = (line: string): void => console.log(line);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opledger-kafka-smoke-'));

  let t = Date.now();
  await ensureKafkaJars(undefined, log);
  console.log(`jars: ${seconds(t)}`);

  t = Date.now();
  const broker = await startLocalKafka({ dataDir, log });
  console.log(`start: ${seconds(t)} (${broker.brokers}, pid ${broker.pid})`);

  const kafka = new Kafka({ clientId: 'kafka-smoke', brokers: [broker.brokers], logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  t = Date.now();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  console.log(`createTopic: ${seconds(t)} (${topics[0]?.partitions.length} partitions)`);
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  t = Date.now();
  await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: MESSAGE_COUNT }, (_, i) => ({ key: `k${i}`, value: `message-${i}` })),
  });
  console.log(`produce: ${seconds(t)}`);
  await producer.disconnect();

  t = Date.now();
  console.log(`consumed: ${JSON.stringify(await consumeAll(broker.brokers, 'smoke-1'))} in ${seconds(t)}`);

  t = Date.now();
  await broker.stop();
  console.log(`stop: ${seconds(t)}`);

  t = Date.now();
  const restarted = await startLocalKafka({ dataDir, log });
  console.log(`restart on same dataDir: ${seconds(t)} (${restarted.brokers}, was ${broker.brokers})`);
  t = Date.now();
  console.log(
    `re-consumed after restart: ${JSON.stringify(await consumeAll(restarted.brokers, 'smoke-2'))} in ${seconds(t)}`,
  );
  t = Date.now();
  await restarted.stop();
  console.log(`stop: ${seconds(t)}`);

  if (process.argv.includes('--keep')) console.log(`data kept in ${dataDir}`);
  else fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
