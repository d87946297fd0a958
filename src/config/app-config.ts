import { type ApiKey, parseApiKeys } from '../auth/api-keys';
import { type ArmedFailpoint, failpointsFromEnv } from '../common/failpoint-plan';
import { ConfigError } from './config-error';

export { ConfigError } from './config-error';

/**
 * Every setting comes from the environment and is checked once at start-up,
 * so a typo stops the service with a message naming the variable instead of
 * surfacing later as a confusing runtime error.
 */
export interface AppConfig {
  host: string;
  port: number;
  /** Unset: the launcher starts an embedded Postgres and fills this in. */
  databaseUrl: string | null;
  databasePoolSize: number;
  /** Unset: the launcher starts a local Kafka broker and fills this in. */
  kafkaBrokers: string[] | null;
  kafkaClientId: string;
  kafkaGroupId: string;
  kafkaTopic: string;
  kafkaDeadLetterTopic: string;
  kafkaTopicPartitions: number;
  kafkaSessionTimeoutMs: number;
  ingestEnabled: boolean;
  ingestBatchMaxEvents: number;
  ingestFetchMaxWaitMs: number;
  ingestPartitionsConcurrency: number;
  /** Most record bytes one fetch from one broker brings (kafkajs maxBytes; a larger first record batch still comes). */
  ingestFetchMaxBytes: number;
  /** Most record bytes of one partition in one fetch (kafkajs maxBytesPerPartition). */
  ingestFetchMaxBytesPerPartition: number;
  /** Most record bytes parsed, waiting for or in an append at once, all partitions together. */
  ingestInFlightMaxBytes: number;
  ingestRetryMaxBackoffMs: number;
  ingestStallTimeoutMs: number;
  maxEventDataBytes: number;
  httpBodyLimitBytes: number;
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  shutdownTimeoutMs: number;
  /** Empty: authentication is off and the service must listen on loopback only. */
  apiKeys: ApiKey[];
  /** API_KEYS_FILE: re-read on SIGHUP and when it changes (src/auth/api-key-registry.ts). */
  apiKeysFile: string | null;
  /** Whether /metrics is served without a key when keys are configured. */
  metricsPublic: boolean;
  /** Rebuild the projection at start-up when the fold definition changed (also `--rebuild-on-start`). */
  rebuildOnStart: boolean;
  /** Concurrent read → fold → write pipelines of a rebuild's bulk pass, each over its own operation-id ranges. */
  rebuildWorkers: number;
  /** How often the live-watch poller (SSE) reads the global feed while a stream is open. */
  watchPollIntervalMs: number;
  /** Open watch streams (SSE) one instance serves at once; beyond: 503. */
  watchMaxStreams: number;
  /** Open watch streams of one API key (one client address without keys) on one instance; beyond: 429. */
  watchMaxStreamsPerKey: number;
  /** An event whose time is further ahead of this instance's clock is refused (time_in_future); 0: off. */
  maxClockSkewMs: number;
  /** HTTP appends per API key (client address without keys) per window on one instance; 0: unlimited. */
  rateLimitAppends: number;
  /** Other API requests (reads, admin) per API key (client address without keys) per window; 0: unlimited. */
  rateLimitReads: number;
  rateLimitWindowMs: number;
  /** Test only (OPLEDGER_FAILPOINTS, refused unless NODE_ENV=test): where to crash, stall or fail on purpose. */
  failpoints: ArmedFailpoint[];
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw.trim() !== raw) throw new ConfigError(name, `has leading or trailing spaces: "${raw}"`);
  return raw;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** A duration with its unit (`300ms`, `90s`, `5m`, `1h`), or `0`; in milliseconds. */
function duration(env: Env, name: string, fallbackMs: number, maxMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const match = /^(\d{1,9})(ms|s|min|m|h)?$/.exec(raw);
  if (!match || (match[2] === undefined && match[1] !== '0')) {
    throw new ConfigError(name, `must be a duration with its unit (e.g. 5m, 90s, 500ms) or 0, got "${raw}"`);
  }
  const ms = Number(match[1]) * (match[2] ? DURATION_UNITS_MS[match[2]] : 0);
  if (ms > maxMs) throw new ConfigError(name, `must be at most ${maxMs / 3_600_000} h, got "${raw}"`);
  return ms;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function databaseUrl(env: Env): string | null {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function kafkaBrokers(env: Env): string[] | null {
  const raw = env.KAFKA_BROKERS;
  if (raw === undefined || raw === '') return null;
  const brokers = raw.split(',').map((b) => b.trim());
  for (const broker of brokers) {
    const port = Number(broker.split(':')[1]);
    if (!/^[A-Za-z0-9._-]+:\d{1,5}$/.test(broker) || port < 1 || port > 65535) {
      throw new ConfigError('KAFKA_BROKERS', `must be a comma-separated list of host:port, got "${broker}"`);
    }
  }
  return brokers;
}

const KIB = 1024;
const MIB = 1024 * KIB;

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

function topic(env: Env, name: string, fallback: string): string {
  const value = text(env, name, fallback);
  if (!TOPIC_NAME.test(value) || value === '.' || value === '..') {
    throw new ConfigError(name, `is not a valid Kafka topic name: "${value}"`);
  }
  return value;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function deadLetterTopic(env: Env, kafkaTopic: string): string {
  if (env.KAFKA_DLQ_TOPIC) return topic(env, 'KAFKA_DLQ_TOPIC', '');
  const derived = `${kafkaTopic}.dlq`;
  if (derived.length > 249) {
    throw new ConfigError(
      'KAFKA_TOPIC',
      `is too long to derive the dead-letter topic "<topic>.dlq"; set KAFKA_DLQ_TOPIC`,
    );
  }
  return derived;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const kafkaTopic = topic(env, 'KAFKA_TOPIC', 'operation-events');
  const config: AppConfig = {
    host: text(env, 'HOST', '127.0.0.1'),
    port: integer(env, 'PORT', 3000, 0, 65535),
    databaseUrl: databaseUrl(env),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    kafkaBrokers: kafkaBrokers(env),
    kafkaClientId: text(env, 'KAFKA_CLIENT_ID', 'opledger'),
    kafkaGroupId: text(env, 'KAFKA_GROUP_ID', 'opledger'),
    kafkaTopic,
    kafkaDeadLetterTopic: deadLetterTopic(env, kafkaTopic),
    kafkaTopicPartitions: integer(env, 'KAFKA_TOPIC_PARTITIONS', 12, 1, 10_000),
    kafkaSessionTimeoutMs: integer(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    ingestEnabled: bool(env, 'INGEST_ENABLED', true),
    ingestBatchMaxEvents: integer(env, 'INGEST_BATCH_MAX_EVENTS', 1000, 1, 100_000),
    ingestFetchMaxWaitMs: integer(env, 'INGEST_FETCH_MAX_WAIT_MS', 100, 1, 60_000),
    ingestPartitionsConcurrency: integer(env, 'INGEST_PARTITIONS_CONCURRENCY', 12, 1, 64),
    ingestFetchMaxBytes: integer(env, 'INGEST_FETCH_MAX_BYTES', 4 * MIB, KIB, 256 * MIB),
    ingestFetchMaxBytesPerPartition: integer(env, 'INGEST_FETCH_MAX_BYTES_PER_PARTITION', 512 * KIB, KIB, 256 * MIB),
    ingestInFlightMaxBytes: integer(env, 'INGEST_IN_FLIGHT_MAX_BYTES', 4 * MIB, KIB, 1024 * MIB),
    ingestRetryMaxBackoffMs: integer(env, 'INGEST_RETRY_MAX_BACKOFF_MS', 10_000, 10, 600_000),
    ingestStallTimeoutMs: integer(env, 'INGEST_STALL_TIMEOUT_MS', 60_000, 100, 3_600_000),
    maxEventDataBytes: integer(env, 'MAX_EVENT_DATA_BYTES', 256 * 1024, 1, 16 * 1024 * 1024),
    httpBodyLimitBytes: integer(env, 'HTTP_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    dataDir: text(env, 'DATA_DIR', '.data'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 15_000, 100, 600_000),
    apiKeys: parseApiKeys(env),
    apiKeysFile: env.API_KEYS_FILE ? env.API_KEYS_FILE : null,
    metricsPublic: bool(env, 'METRICS_PUBLIC', false),
    rebuildOnStart: bool(env, 'REBUILD_ON_START', false),
    rebuildWorkers: integer(env, 'REBUILD_WORKERS', 2, 1, 16),
    watchPollIntervalMs: integer(env, 'WATCH_POLL_INTERVAL_MS', 200, 10, 60_000),
    watchMaxStreams: integer(env, 'WATCH_MAX_STREAMS', 1000, 1, 1_000_000),
    watchMaxStreamsPerKey: integer(env, 'WATCH_MAX_STREAMS_PER_KEY', 100, 1, 1_000_000),
    maxClockSkewMs: duration(env, 'MAX_CLOCK_SKEW', 5 * 60_000, 7 * 24 * 3_600_000),
    rateLimitAppends: integer(env, 'RATE_LIMIT_APPENDS', 0, 0, 100_000_000),
    rateLimitReads: integer(env, 'RATE_LIMIT_READS', 0, 0, 100_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 3_600_000),
    failpoints: failpointsFromEnv(env, text(env, 'HOST', '127.0.0.1')),
  };
  if (config.apiKeys.length === 0 && !isLoopback(config.host)) {
    throw new ConfigError(
      'HOST',
      `is ${config.host}, but no API keys are configured: set API_KEYS or API_KEYS_FILE, or listen on 127.0.0.1`,
    );
  }
  if (config.ingestFetchMaxBytesPerPartition > config.ingestFetchMaxBytes) {
    throw new ConfigError(
      'INGEST_FETCH_MAX_BYTES_PER_PARTITION',
      `must be at most INGEST_FETCH_MAX_BYTES (${config.ingestFetchMaxBytes}), got ${config.ingestFetchMaxBytesPerPartition}`,
    );
  }
  if (config.kafkaDeadLetterTopic === config.kafkaTopic) {
    throw new ConfigError('KAFKA_DLQ_TOPIC', 'must differ from KAFKA_TOPIC');
  }
  return config;
}

/** Every variable loadConfig reads; docs/operations.md describes each. */
export const CONFIG_VARIABLES = [
  'HOST',
  'PORT',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'KAFKA_GROUP_ID',
  'KAFKA_TOPIC',
  'KAFKA_DLQ_TOPIC',
  'KAFKA_TOPIC_PARTITIONS',
  'KAFKA_SESSION_TIMEOUT_MS',
  'INGEST_ENABLED',
  'INGEST_BATCH_MAX_EVENTS',
  'INGEST_FETCH_MAX_WAIT_MS',
  'INGEST_PARTITIONS_CONCURRENCY',
  'INGEST_FETCH_MAX_BYTES',
  'INGEST_FETCH_MAX_BYTES_PER_PARTITION',
  'INGEST_IN_FLIGHT_MAX_BYTES',
  'INGEST_RETRY_MAX_BACKOFF_MS',
  'INGEST_STALL_TIMEOUT_MS',
  'MAX_EVENT_DATA_BYTES',
  'HTTP_BODY_LIMIT_BYTES',
  'DATA_DIR',
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT_MS',
  'API_KEYS',
  'API_KEYS_FILE',
  'METRICS_PUBLIC',
  'REBUILD_ON_START',
  'REBUILD_WORKERS',
  'WATCH_POLL_INTERVAL_MS',
  'WATCH_MAX_STREAMS',
  'WATCH_MAX_STREAMS_PER_KEY',
  'MAX_CLOCK_SKEW',
  'RATE_LIMIT_APPENDS',
  'RATE_LIMIT_READS',
  'RATE_LIMIT_WINDOW_MS',
  'OPLEDGER_FAILPOINTS',
  'NODE_ENV',
] as const;

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Config after the launcher filled in the embedded infrastructure. */
export type ResolvedConfig = AppConfig & { databaseUrl: string; kafkaBrokers: string[] };
