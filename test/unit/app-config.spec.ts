import fc from 'fast-check';
import { type AppConfig, ConfigError, loadConfig } from '../../src/config/app-config';

const DEFAULTS: AppConfig = {
  host: '127.0.0.1',
  port: 3000,
  databaseUrl: null,
  databasePoolSize: 10,
  kafkaBrokers: null,
  kafkaClientId: 'opledger',
  kafkaGroupId: 'opledger',
  kafkaTopic: 'operation-events',
  kafkaDeadLetterTopic: 'operation-events.dlq',
  kafkaTopicPartitions: 12,
  kafkaSessionTimeoutMs: 30_000,
  ingestEnabled: true,
  ingestBatchMaxEvents: 1000,
  ingestFetchMaxWaitMs: 100,
  ingestPartitionsConcurrency: 12,
  ingestFetchMaxBytes: 4 * 1024 * 1024,
  ingestFetchMaxBytesPerPartition: 512 * 1024,
  ingestInFlightMaxBytes: 4 * 1024 * 1024,
  ingestRetryMaxBackoffMs: 10_000,
  ingestStallTimeoutMs: 60_000,
  maxEventDataBytes: 256 * 1024,
  dataDir: '.data',
  logLevel: 'info',
  shutdownTimeoutMs: 15_000,
  httpBodyLimitBytes: 1_048_576,
  watchPollIntervalMs: 200,
  rebuildOnStart: false,
  rebuildWorkers: 2,
  apiKeys: [],
  apiKeysFile: null,
  metricsPublic: false,
  watchMaxStreams: 1000,
  watchMaxStreamsPerKey: 100,
  maxClockSkewMs: 300_000,
  rateLimitAppends: 0,
  rateLimitReads: 0,
  rateLimitWindowMs: 60_000,
  failpoints: [],
};

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('returns the defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual(DEFAULTS);
  });

  it('treats empty strings like unset variables', () => {
    const env = Object.fromEntries(
      [
        'HOST',
        'PORT',
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'KAFKA_TOPIC',
        'KAFKA_DLQ_TOPIC',
        'INGEST_ENABLED',
        'LOG_LEVEL',
        'DATA_DIR',
      ].map((name) => [name, '']),
    );
    expect(loadConfig(env)).toEqual(DEFAULTS);
  });

  it('parses a fully specified valid environment', () => {
    const env = {
      HOST: '0.0.0.0',
      PORT: '8080',
      DATABASE_URL: 'postgres://app:secret@db.internal:5433/opledger',
      DATABASE_POOL_SIZE: '25',
      KAFKA_BROKERS: 'kafka-1.internal:9092, kafka-2.internal:9093',
      KAFKA_CLIENT_ID: 'opledger-api',
      KAFKA_GROUP_ID: 'opledger-prod',
      KAFKA_TOPIC: 'ops.events_v2',
      KAFKA_DLQ_TOPIC: 'ops.events_v2.dead',
      KAFKA_TOPIC_PARTITIONS: '48',
      INGEST_ENABLED: 'false',
      INGEST_BATCH_MAX_EVENTS: '500',
      INGEST_FETCH_MAX_WAIT_MS: '250',
      INGEST_PARTITIONS_CONCURRENCY: '8',
      INGEST_FETCH_MAX_BYTES: '2097152',
      INGEST_FETCH_MAX_BYTES_PER_PARTITION: '262144',
      INGEST_IN_FLIGHT_MAX_BYTES: '1048576',
      INGEST_RETRY_MAX_BACKOFF_MS: '30000',
      MAX_EVENT_DATA_BYTES: '1048576',
      DATA_DIR: '/var/lib/opledger',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '5000',
      API_KEYS: 'reader:reader-secret-0123456789',
      METRICS_PUBLIC: 'true',
      WATCH_MAX_STREAMS: '200',
      WATCH_MAX_STREAMS_PER_KEY: '20',
      MAX_CLOCK_SKEW: '90s',
      RATE_LIMIT_APPENDS: '6000',
      RATE_LIMIT_READS: '1200',
      RATE_LIMIT_WINDOW_MS: '10000',
      REBUILD_WORKERS: '4',
    };
    expect(loadConfig(env)).toEqual({
      host: '0.0.0.0',
      port: 8080,
      databaseUrl: 'postgres://app:secret@db.internal:5433/opledger',
      databasePoolSize: 25,
      kafkaBrokers: ['kafka-1.internal:9092', 'kafka-2.internal:9093'],
      kafkaClientId: 'opledger-api',
      kafkaGroupId: 'opledger-prod',
      kafkaTopic: 'ops.events_v2',
      kafkaDeadLetterTopic: 'ops.events_v2.dead',
      kafkaTopicPartitions: 48,
      kafkaSessionTimeoutMs: 30_000,
      ingestEnabled: false,
      ingestBatchMaxEvents: 500,
      ingestFetchMaxWaitMs: 250,
      ingestPartitionsConcurrency: 8,
      ingestFetchMaxBytes: 2_097_152,
      ingestFetchMaxBytesPerPartition: 262_144,
      ingestInFlightMaxBytes: 1_048_576,
      ingestRetryMaxBackoffMs: 30_000,
      ingestStallTimeoutMs: 60_000,
      maxEventDataBytes: 1_048_576,
      dataDir: '/var/lib/opledger',
      logLevel: 'debug',
      shutdownTimeoutMs: 5000,
      httpBodyLimitBytes: 1_048_576,
      watchPollIntervalMs: 200,
      rebuildOnStart: false,
      rebuildWorkers: 4,
      apiKeys: [{ name: 'reader#1', role: 'reader', digest: expect.any(Buffer), source: 'API_KEYS' }],
      apiKeysFile: null,
      metricsPublic: true,
      watchMaxStreams: 200,
      watchMaxStreamsPerKey: 20,
      maxClockSkewMs: 90_000,
      rateLimitAppends: 6000,
      rateLimitReads: 1200,
      rateLimitWindowMs: 10_000,
      failpoints: [],
    } satisfies Record<keyof AppConfig, unknown>);
  });

  it.each([
    ['0', 0],
    ['500ms', 500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['5min', 300_000],
    ['2h', 7_200_000],
  ])('reads MAX_CLOCK_SKEW=%s as %i ms (0: off)', (raw, ms) => {
    expect(loadConfig({ MAX_CLOCK_SKEW: raw }).maxClockSkewMs).toBe(ms);
  });

  it('derives the dead-letter topic from KAFKA_TOPIC when KAFKA_DLQ_TOPIC is unset', () => {
    expect(loadConfig({ KAFKA_TOPIC: 'orders' }).kafkaDeadLetterTopic).toBe('orders.dlq');
  });

  it('accepts the postgresql:// scheme', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/db' }).databaseUrl).toBe('postgresql://localhost/db');
  });

  it('accepts a single broker', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'localhost:9092' }).kafkaBrokers).toEqual(['localhost:9092']);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads INGEST_ENABLED=%s as %s', (raw, expected) => {
    expect(loadConfig({ INGEST_ENABLED: raw }).ingestEnabled).toBe(expected);
  });

  it.each(['debug', 'info', 'warn', 'error'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each([
    ['0', 0],
    ['65535', 65535],
  ])('accepts PORT=%s at the edge of the range', (raw, expected) => {
    expect(loadConfig({ PORT: raw }).port).toBe(expected);
  });

  it('property: every PORT from 0 to 65535 is accepted and every larger one refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 65536, max: 10_000_000 }), (ok, tooBig) => {
        expect(loadConfig({ PORT: String(ok) }).port).toBe(ok);
        expect(configErrorOf({ PORT: String(tooBig) }).variable).toBe('PORT');
      }),
    );
  });

  describe('refuses a bad variable with a ConfigError naming it', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['PORT', '3.5'],
      ['PORT', ' 80'],
      ['DATABASE_URL', 'not a url'],
      ['DATABASE_URL', 'mysql://x'],
      ['DATABASE_URL', 'http://db:5432/x'],
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_POOL_SIZE', '201'],
      ['REBUILD_WORKERS', '0'],
      ['REBUILD_WORKERS', '17'],
      ['REBUILD_WORKERS', 'two'],
      ['KAFKA_BROKERS', 'host-without-port'],
      ['KAFKA_BROKERS', 'a:9092,,b:9092'],
      ['KAFKA_BROKERS', 'a:9092,b'],
      ['KAFKA_BROKERS', 'kafka://a:9092'],
      ['KAFKA_TOPIC', 'my topic'],
      ['KAFKA_TOPIC', 'topic/with/slash'],
      ['KAFKA_TOPIC', ' leading-space'],
      ['KAFKA_TOPIC', 't'.repeat(250)],
      ['KAFKA_DLQ_TOPIC', 'dead letters'],
      ['HOST', ' 0.0.0.0'],
      ['KAFKA_CLIENT_ID', 'trailing '],
      ['LOG_LEVEL', 'verbose'],
      ['LOG_LEVEL', 'INFO'],
      ['INGEST_ENABLED', 'maybe'],
      ['INGEST_ENABLED', 'TRUE'],
      ['INGEST_ENABLED', 'yes'],
      ['KAFKA_TOPIC_PARTITIONS', '0'],
      ['INGEST_BATCH_MAX_EVENTS', '100001'],
      ['INGEST_FETCH_MAX_WAIT_MS', '0'],
      ['INGEST_PARTITIONS_CONCURRENCY', '65'],
      ['INGEST_FETCH_MAX_BYTES', '1023'],
      ['INGEST_FETCH_MAX_BYTES', '4MiB'],
      ['INGEST_FETCH_MAX_BYTES_PER_PARTITION', '0'],
      ['INGEST_FETCH_MAX_BYTES_PER_PARTITION', String(8 * 1024 * 1024)],
      ['INGEST_IN_FLIGHT_MAX_BYTES', '1000'],
      ['INGEST_IN_FLIGHT_MAX_BYTES', String(1024 * 1024 * 1024 + 1)],
      ['INGEST_RETRY_MAX_BACKOFF_MS', '9'],
      ['MAX_EVENT_DATA_BYTES', '0'],
      ['MAX_EVENT_DATA_BYTES', String(16 * 1024 * 1024 + 1)],
      ['SHUTDOWN_TIMEOUT_MS', '99'],
      ['MAX_CLOCK_SKEW', '300'],
      ['MAX_CLOCK_SKEW', '5 m'],
      ['MAX_CLOCK_SKEW', '-5m'],
      ['MAX_CLOCK_SKEW', '1.5m'],
      ['MAX_CLOCK_SKEW', '8d'],
      ['MAX_CLOCK_SKEW', '169h'],
      ['RATE_LIMIT_APPENDS', '-1'],
      ['RATE_LIMIT_READS', 'many'],
      ['RATE_LIMIT_WINDOW_MS', '99'],
      ['WATCH_MAX_STREAMS', '0'],
      ['WATCH_MAX_STREAMS_PER_KEY', '0'],
    ])('%s=%j', (variable, value) => {
      const error = configErrorOf({ [variable]: value });
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('ConfigError');
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(variable);
    });

    it('INGEST_FETCH_MAX_BYTES_PER_PARTITION above INGEST_FETCH_MAX_BYTES', () => {
      const error = configErrorOf({ INGEST_FETCH_MAX_BYTES: '65536', INGEST_FETCH_MAX_BYTES_PER_PARTITION: '65537' });
      expect(error.variable).toBe('INGEST_FETCH_MAX_BYTES_PER_PARTITION');
      expect(error.message).toContain('INGEST_FETCH_MAX_BYTES (65536)');
    });

    it('KAFKA_DLQ_TOPIC equal to KAFKA_TOPIC', () => {
      const error = configErrorOf({ KAFKA_TOPIC: 'events', KAFKA_DLQ_TOPIC: 'events' });
      expect(error.variable).toBe('KAFKA_DLQ_TOPIC');
      expect(error.message).toContain('KAFKA_DLQ_TOPIC');
      expect(error.message).toContain('KAFKA_TOPIC');
    });

    it('quotes the offending value in the message', () => {
      expect(configErrorOf({ LOG_LEVEL: 'verbose' }).message).toContain('"verbose"');
      expect(configErrorOf({ KAFKA_BROKERS: 'host-without-port' }).message).toContain('host-without-port');
    });

    it('does not echo the database URL, which may hold a password, when it is not a URL', () => {
      expect(configErrorOf({ DATABASE_URL: 'hunter2 not a url' }).message).not.toContain('hunter2');
    });
  });
});

describe('ConfigError', () => {
  it('carries the variable and prefixes the message with it', () => {
    const error = new ConfigError('PORT', 'must be a whole number');
    expect(error).toBeInstanceOf(Error);
    expect(error.variable).toBe('PORT');
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('Invalid configuration: PORT must be a whole number');
  });
});

describe('loadConfig: edge values', () => {
  it.each(['h:99999', 'h:0'])('refuses KAFKA_BROKERS=%s (port out of range)', (value) => {
    expect(() => loadConfig({ KAFKA_BROKERS: value })).toThrow(/KAFKA_BROKERS/);
  });

  it.each(['.', '..'])('refuses the topic name %j, which Kafka forbids', (value) => {
    expect(() => loadConfig({ KAFKA_TOPIC: value })).toThrow(/KAFKA_TOPIC/);
  });

  it('names KAFKA_TOPIC when it is too long to derive the dead-letter topic', () => {
    expect(() => loadConfig({ KAFKA_TOPIC: 'a'.repeat(249) })).toThrow(/KAFKA_TOPIC is too long/);
    expect(loadConfig({ KAFKA_TOPIC: 'a'.repeat(249), KAFKA_DLQ_TOPIC: 'dlq' }).kafkaDeadLetterTopic).toBe('dlq');
  });
});

describe('loadConfig: API keys and the secure default', () => {
  it('refuses a non-loopback HOST without API keys, naming HOST', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/HOST is 0\.0\.0\.0, but no API keys are configured/);
  });

  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1'])('listens on loopback %s without keys', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it('parses role:key entries separated by commas or newlines, ignoring comments', () => {
    const keys = loadConfig({
      API_KEYS: 'reader:aaaaaaaaaaaaaaaa,\n# ops team\nadmin:bbbbbbbbbbbbbbbb\nwriter:cccccccccccccccc',
    }).apiKeys;
    expect(keys.map((k) => [k.name, k.role])).toEqual([
      ['reader#1', 'reader'],
      ['admin#1', 'admin'],
      ['writer#1', 'writer'],
    ]);
  });

  it.each([
    ['guest:aaaaaaaaaaaaaaaa', /role:key/],
    ['no-colon', /role:key/],
    ['reader:short', /shorter than 16/],
  ])('refuses API_KEYS=%j naming API_KEYS', (value, message) => {
    expect(() => loadConfig({ API_KEYS: value })).toThrow(/API_KEYS/);
    expect(() => loadConfig({ API_KEYS: value })).toThrow(message);
  });

  it('names API_KEYS_FILE when the file cannot be read', () => {
    expect(() => loadConfig({ API_KEYS_FILE: '/nonexistent/keys' })).toThrow(/API_KEYS_FILE cannot be read/);
  });
});
