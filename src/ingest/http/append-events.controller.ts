import { Body, Controller, Headers, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../../auth/route-access';
import { IfMatchVersion } from '../../common/integer-params';
import { failpoints } from '../../common/failpoints';
import { problem } from '../../common/problem';
import { APP_CONFIG, type ResolvedConfig } from '../../config/app-config';
import type { OperationEvent } from '../../envelope/operation-event';
import type { AppendOutcome } from '../../event-store/event-store.service';
import { isTransientDatabaseError } from '../../event-store/transient-errors';
import { API_KEY_SCHEME } from '../../openapi/api-key-scheme';
import { checkOperationId } from '../../common/operation-id';
import { backoffDelayMs } from '../retry-backoff';
import { MetricsService } from '../../metrics/metrics.service';
import { AppendEventsDocs } from './append-events.api-docs';
import { eventTimeProblem, parseHttpEvents } from './http-append';
import { RequestAppendCoalescer } from './request-append-coalescer';

const RACE_RETRIES = 3;

@ApiTags('events')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/operations')
export class AppendEventsController {
  constructor(
    private readonly appends: RequestAppendCoalescer,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /**
   * Appends one CloudEvent or a batch, all or nothing. 201 when something new
   * was stored, 200 when every event was already there (an idempotent retry).
   */
  @Post(':id/events')
  @RequireRole('writer')
  @AppendEventsDocs()
  async append(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @IfMatchVersion() ifMatch: number | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const operationId = checkOperationId(id);
    const events = parseHttpEvents(operationId, body, contentType, { maxDataBytes: this.config.maxEventDataBytes });
    // parseHttpEvents took a JSON array only as a batch.
    const ahead = eventTimeProblem(events, Array.isArray(body), Date.now(), this.config.maxClockSkewMs);
    if (ahead) {
      this.metrics.rejectedEvents.inc({ reason: 'time_in_future', channel: 'http' });
      throw ahead;
    }
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
    if (failpoints.on) await failpoints.reach('http.append.after-commit', () => ({ events: events.map((e) => e.id) }));
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
        const result = await this.appends.append(events);
        if (result.status === 'stored') return result.outcomes;
        const { headVersion, rejection, eventId, conflictsWith } = result.rejected;
        this.metrics.rejectedEvents.inc({ reason: rejection.reason, channel: 'http' });
        if (rejection.reason === 'id_conflict' && conflictsWith) {
          throw problem(409, 'id-conflict', 'Event id conflict', rejection.detail, {
            field: 'id',
            storedVersion: conflictsWith.version,
            storedOperationId: conflictsWith.operationId,
          });
        }
        throw viaIfMatch && eventId === events[0].id
          ? problem(412, 'precondition-failed', 'Precondition failed', `If-Match: ${rejection.detail}`, {
              currentVersion: headVersion,
            })
          : problem(409, 'version-conflict', 'Version conflict', rejection.detail, { currentVersion: headVersion });
      } catch (error) {
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
