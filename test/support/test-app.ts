import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, type KafkaMessage, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app-factory';
import { loadConfig, ResolvedConfig } from '../../src/config/app-config';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { parseCloudEvent } from '../../src/envelope/parse-cloud-event';
import { createDatabaseIfMissing } from '../../src/local-infra/local-postgres';
import { testInfrastructure } from './test-env';
import { waitFor } from './wait-for';

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** A fresh, empty database on the test server; migrations run when an app starts on it. */
export async function createTestDatabase(): Promise<string> {
  const { adminDatabaseUrl } = testInfrastructure();
  const name = uniqueName('opledger_test');
  await createDatabaseIfMissing(adminDatabaseUrl, name);
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestContext {
  databaseUrl: string;
  topic: string;
  groupId: string;
}

/** A new database, topic and consumer group, so test files never see each other's data. */
export async function createTestContext(): Promise<TestContext> {
  return { databaseUrl: await createTestDatabase(), topic: uniqueName('ops'), groupId: uniqueName('group') };
}

export function testConfig(context: TestContext, env: Record<string, string> = {}): ResolvedConfig {
  const config = loadConfig({
    KAFKA_TOPIC: context.topic,
    KAFKA_GROUP_ID: context.groupId,
    KAFKA_TOPIC_PARTITIONS: '3',
    LOG_LEVEL: 'warn',
    PORT: '0',
    ...env,
  });
  return { ...config, databaseUrl: context.databaseUrl, kafkaBrokers: testInfrastructure().brokers };
}

export interface RunningApp {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  config: ResolvedConfig;
  close(): Promise<void>;
}

export async function startTestApp(context: TestContext, env: Record<string, string> = {}): Promise<RunningApp> {
  const config = testConfig(context, env);
  const app = await createApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const running: RunningApp = {
    app,
    config,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
  if (config.ingestEnabled) {
    await waitFor('the service to be ready', async () => (await running.http().get('/health/ready')).status === 200);
  }
  return running;
}

export async function connectProducer(): Promise<Producer> {
  const kafka = new Kafka({
    clientId: uniqueName('test-producer'),
    brokers: testInfrastructure().brokers,
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

/** A cloudEvent() already through the envelope parser: what EventStore.append takes. */
export function operationEvent(
  subject: string,
  type: string,
  data?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): OperationEvent {
  const parsed = parseCloudEvent(cloudEvent(subject, type, data, extra));
  if (!parsed.ok) throw new Error(parsed.rejection.detail);
  return parsed.event;
}

let sequence = 0;

/** A valid structured-mode CloudEvent; `time` defaults to a strictly increasing instant. */
export function cloudEvent(
  subject: string,
  type: string,
  data?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  sequence += 1;
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'test/producer',
    type,
    subject,
    time: new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString(),
    ...(data === undefined ? {} : { data }),
    ...extra,
  };
}

/** Runs one query against a test database with a short-lived client. */
export async function queryDatabase<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Reads every record of a topic from the beginning until `count` have arrived. */
export async function readTopic(topic: string, count: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const kafka = new Kafka({
    clientId: uniqueName('test-reader'),
    brokers: testInfrastructure().brokers,
    logLevel: logLevel.ERROR,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(`${count} records on ${topic}`, () => messages.length >= count, { timeoutMs });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
