import { HealthIndicatorService } from '@nestjs/terminus';
import type { ResolvedConfig } from '../../src/config/app-config';
import type { EventStore } from '../../src/event-store/event-store.service';
import { ReadinessIndicators } from '../../src/health/health-indicators';
import type { IngestStatus, KafkaIngestService } from '../../src/ingest/kafka-ingest.service';

function indicators(status: Partial<IngestStatus>, stallTimeoutMs = 1000) {
  const full: IngestStatus = {
    enabled: true,
    running: true,
    retryingSince: null,
    consumer: { connected: true, joinedGroup: true, crashed: null, assignedPartitions: [0, 1] },
    fetched: { bytes: 0, highWaterBytes: 0 },
    inFlight: { capacityBytes: 1024, bytes: 0, highWaterBytes: 0, waits: 0 },
    ...status,
  };
  return new ReadinessIndicators(
    new HealthIndicatorService(),
    { ping: async () => undefined } as unknown as EventStore,
    { status: () => full } as unknown as KafkaIngestService,
    { ingestStallTimeoutMs: stallTimeoutMs } as ResolvedConfig,
  );
}

describe('readiness of the Kafka consumer', () => {
  it('is up in its group, with its partitions', () => {
    expect(indicators({}).kafkaConsumer()).toEqual({ kafkaConsumer: { status: 'up', partitions: [0, 1] } });
  });

  it('is down out of its group', () => {
    const consumer = { connected: true, joinedGroup: false, crashed: null, assignedPartitions: [] };
    expect(indicators({ consumer }).kafkaConsumer().kafkaConsumer.status).toBe('down');
  });

  it('tolerates a short wait for the database but not a stall longer than the timeout', () => {
    expect(indicators({ retryingSince: new Date(Date.now() - 200) }).kafkaConsumer().kafkaConsumer.status).toBe('up');
    const stalled = indicators({ retryingSince: new Date(Date.now() - 5000) }).kafkaConsumer().kafkaConsumer;
    expect(stalled).toMatchObject({ status: 'down', message: expect.stringMatching(/waited 5 s for the database/) });
  });

  it('does not hold readiness back when ingest is disabled', () => {
    const off = indicators({ enabled: false, running: false }).kafkaConsumer().kafkaConsumer;
    expect(off).toMatchObject({ status: 'up', mode: 'disabled' });
  });

  it('reports the database down with the reason', async () => {
    const broken = new ReadinessIndicators(
      new HealthIndicatorService(),
      { ping: async () => Promise.reject(new Error('connect ECONNREFUSED')) } as unknown as EventStore,
      { status: () => ({}) } as unknown as KafkaIngestService,
      {} as ResolvedConfig,
    );
    expect(await broken.database()).toEqual({ database: { status: 'down', message: 'Error: connect ECONNREFUSED' } });
  });
});
