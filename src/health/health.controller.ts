import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/roles';
import { EventStore } from '../event-store/event-store.service';
import { KafkaIngestService } from '../ingest/kafka-ingest.service';
import { LivenessDto, ReadinessDto } from '../openapi/schemas/health.schema';

@Public()
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: EventStore,
    private readonly ingest: KafkaIngestService,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness probe', description: 'Always 200 while the process serves HTTP. Public.' })
  @ApiOkResponse({ type: LivenessDto, description: 'Alive.' })
  live() {
    return { status: 'ok' };
  }

  /** Ready = the database answers and the Kafka consumer is in its group. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description:
      'Ready when Postgres answers and the Kafka consumer is connected and in its group (or ingest is disabled). ' +
      'The body says which dependency is down. Public.',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready to serve.' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready (the same body, `status: not_ready`; not a problem document).',
    example: {
      status: 'not_ready',
      checks: {
        database: { status: 'down', error: 'Error: connect ECONNREFUSED 127.0.0.1:5432' },
        kafkaConsumer: { status: 'up', partitions: [0, 1, 2] },
      },
    },
  })
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
