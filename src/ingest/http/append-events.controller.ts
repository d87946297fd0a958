import { Body, Controller, Headers, Inject, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../../auth/roles';
import { problem } from '../../common/problem';
import { APP_CONFIG, type ResolvedConfig } from '../../config/app-config';
import type { OperationEvent } from '../../envelope/operation-event';
import { AppendEventsCommand } from '../../event-store/commands/append-events.command';
import { AppendRejectedError, type AppendOutcome } from '../../event-store/event-store.service';
import { isTransientDatabaseError } from '../../event-store/transient-errors';
import { checkOperationId } from '../../operations/operation-params';
import { backoffDelayMs } from '../retry-backoff';
import { parseHttpEvents } from './http-append';
import { parseIfMatch } from './if-match';

const RACE_RETRIES = 3;

@Controller('v1/operations')
export class AppendEventsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /**
   * Appends one CloudEvent or a batch, all or nothing. 201 when something new
   * was stored, 200 when every event was already there (an idempotent retry).
   */
  @Post(':id/events')
  @RequireRole('writer')
  async append(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('if-match') ifMatchHeader: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const operationId = checkOperationId(id);
    const events = parseHttpEvents(operationId, body, contentType, { maxDataBytes: this.config.maxEventDataBytes });
    const ifMatch = parseIfMatch(ifMatchHeader);
    if (ifMatch !== null) {
      const first = events[0];
      if (first.expectedVersion !== null && first.expectedVersion !== ifMatch) {
        throw problem(400, 'validation', 'Invalid request', "If-Match and the first event's expectedversion disagree", {
          field: 'If-Match',
        });
      }
      events[0] = { ...first, expectedVersion: ifMatch };
    }

    const outcomes = await this.appendAtomically(events, ifMatch !== null);
    const appended = outcomes.some((o) => o.status === 'appended');
    const versions = outcomes.map((o) => (o.status === 'rejected' ? 0 : o.version));
    const version = Math.max(...versions);
    void reply
      .status(appended ? 201 : 200)
      .header('location', `/v1/operations/${operationId}`)
      .header('etag', `"${version}"`);
    return {
      operationId,
      version,
      events: outcomes.map((o) =>
        o.status === 'rejected'
          ? { id: o.eventId, status: o.status }
          : { id: o.eventId, status: o.status, version: o.version, position: o.position },
      ),
    };
  }

  private async appendAtomically(events: OperationEvent[], viaIfMatch: boolean): Promise<AppendOutcome[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.commands.execute(new AppendEventsCommand(events, { atomic: true }));
      } catch (error) {
        if (error instanceof AppendRejectedError) {
          const { headVersion, rejection } = error.rejected;
          throw viaIfMatch && error.rejected.eventId === events[0].id
            ? problem(412, 'precondition-failed', 'Precondition failed', `If-Match: ${rejection.detail}`, {
                currentVersion: headVersion,
              })
            : problem(409, 'version-conflict', 'Version conflict', rejection.detail, { currentVersion: headVersion });
        }
        if (!isTransientDatabaseError(error)) throw error;
        if (attempt + 1 >= RACE_RETRIES) {
          throw problem(
            503,
            'unavailable',
            'Service unavailable',
            'the event store is unavailable; retry later',
            {},
            {
              'retry-after': '1',
            },
          );
        }
        await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, 20, 200)));
      }
    }
  }
}
