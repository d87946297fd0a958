import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/roles';
import { EventStore } from '../event-store/event-store.service';
import { KafkaIngestService } from '../ingest/kafka-ingest.service';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: EventStore,
    private readonly ingest: KafkaIngestService,
  ) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** Ready = the database answers and the Kafka consumer is in its group. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const database = await this.store
      .ping()
      .then(() => ({ status: 'up' as const }))
      .catch((error: unknown) => ({ status: 'down' as const, error: String(error).slice(0, 200) }));
    const ingest = this.ingest.status();
    const consumerUp = ingest.running && ingest.consumer.connected && ingest.consumer.joinedGroup;
    const ready = database.status === 'up' && (consumerUp || !ingest.enabled);
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ready' : 'not_ready',
      checks: {
        database,
        kafkaConsumer: {
          status: !ingest.enabled ? 'disabled' : consumerUp ? 'up' : 'down',
          partitions: ingest.consumer.assignedPartitions,
          ...(ingest.consumer.crashed ? { error: ingest.consumer.crashed } : {}),
        },
      },
    };
  }
}
