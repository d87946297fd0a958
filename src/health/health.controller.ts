import { Controller, Get, HttpCode, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/route-access';
import { LivenessDto, ReadinessDto } from '../openapi/schemas/health.schema';
import { ReadinessIndicators } from './health-indicators';

@Public()
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ReadinessIndicators,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness probe', description: 'Always 200 while the process serves HTTP. Public.' })
  @ApiOkResponse({ type: LivenessDto, description: 'Alive.' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description:
      'Ready when Postgres answers and the Kafka consumer is in its group and not stuck waiting for the database ' +
      'longer than INGEST_STALL_TIMEOUT_MS (or ingest is disabled). The terminus body says which check is down. Public.',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready to serve.' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready (the same terminus body with `status: error`; not a problem document).',
    example: {
      status: 'error',
      info: { kafkaConsumer: { status: 'up', partitions: [0, 1, 2] } },
      error: { database: { status: 'down', message: 'Error: connect ECONNREFUSED 127.0.0.1:5432' } },
      details: {
        database: { status: 'down', message: 'Error: connect ECONNREFUSED 127.0.0.1:5432' },
        kafkaConsumer: { status: 'up', partitions: [0, 1, 2] },
      },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.indicators.database(), () => this.indicators.kafkaConsumer()]);
    } catch (error) {
      // Terminus reports "not ready" by throwing; probes want the same body with a 503.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
