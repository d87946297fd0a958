import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  ApiAuthProblems,
  ApiDocs,
  ApiOperationIdParam,
  ApiProblemResponse,
  PROBLEM_EXAMPLES,
} from '../openapi/decorators';
import { EventsPageDto } from '../openapi/schemas/events-page.schema';
import { OperationListDto } from '../openapi/schemas/operation-list.schema';
import { OperationStateDto } from '../openapi/schemas/operation-state.schema';
import { OperationTimelineDto } from '../openapi/schemas/timeline.schema';

// The OpenAPI documentation of OperationsController's routes, one decorator per route (ApiDocs:
// as if written on the method, top to bottom), so that the controller reads as what it does.

/** GET /v1/operations */
export const ListOperationsDocs = (): MethodDecorator =>
  ApiDocs(
    ApiOperation({
      summary: 'List operations',
      description:
        'Newest first (by the position of their first event), filtered by status, stage, stage status, source and ' +
        'update time; every filter is optional and they combine with AND. Pages with an opaque cursor that stays ' +
        'stable while new operations arrive. Role: reader.',
    }),
    ApiOkResponse({ type: OperationListDto, description: 'A page of operation states.' }),
    ApiProblemResponse(400, 'A parameter is invalid or unknown; `field` names it.', {
      badStatus: {
        type: 'validation',
        title: 'Invalid request',
        status: 400,
        detail: 'status must be one or more of pending, running, succeeded, failed, cancelled',
        instance: '/v1/operations?status=done',
        field: 'status',
      },
      stageStatusWithoutStage: {
        type: 'validation',
        title: 'Invalid request',
        status: 400,
        detail: 'stageStatus needs stage: the status of which stage?',
        instance: '/v1/operations?stageStatus=failed',
        field: 'stageStatus',
      },
      badCursor: {
        type: 'validation',
        title: 'Invalid request',
        status: 400,
        detail: 'cursor must come from a previous page (nextCursor)',
        instance: '/v1/operations?cursor=xyz',
        field: 'cursor',
      },
      unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations'),
    }),
    ApiAuthProblems('reader', '/v1/operations'),
  );

/** GET /v1/operations/{id} */
export const GetOperationDocs = (): MethodDecorator =>
  ApiDocs(
    ApiOperation({
      summary: 'Get the state of an operation',
      description:
        'The current state, with its version as a strong ETag (`"6"`): send it back as `If-None-Match` to get 304 ' +
        'while nothing changed, or as `If-Match` on an append. With `atVersion` and/or `asOf`, the state at that ' +
        'point of its history instead (time travel: folded from the log by the same rules; no ETag). Role: reader.',
    }),
    ApiOperationIdParam(),
    ApiHeader({
      name: 'if-none-match',
      required: false,
      description: 'An ETag from a previous response (`"6"`, `W/"6"`, a list, or `*`): 304 when it still matches.',
      schema: { type: 'string', example: '"6"' },
    }),
    ApiOkResponse({
      type: OperationStateDto,
      description: 'The state.',
      headers: {
        ETag: {
          description: 'The operation version, quoted (only for the current state, not for time travel).',
          schema: { type: 'string', example: '"6"' },
        },
      },
    }),
    ApiNotModifiedResponse({
      description: 'If-None-Match matched the current version: no body.',
      headers: { ETag: { description: 'The operation version, quoted.', schema: { type: 'string', example: '"6"' } } },
    }),
    ApiProblemResponse(400, 'A bad operation id, atVersion or asOf, or an unknown query parameter.', {
      badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!'),
      badAsOf: {
        type: 'validation',
        title: 'Invalid request',
        status: 400,
        detail: 'asOf must be an RFC 3339 timestamp, e.g. 2026-11-25T16:00:00Z',
        instance: '/v1/operations/order-42?asOf=yesterday',
        field: 'asOf',
      },
      unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42'),
    }),
    ApiProblemResponse(404, 'No events recorded for this operation (or none at the requested point of its history).', {
      unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42'),
      beforeHistory: {
        type: 'not-found',
        title: 'Operation not found',
        status: 404,
        detail: 'operation "order-42" had no events at the requested point of its history',
        instance: '/v1/operations/order-42?asOf=1999-01-01T00:00:00Z',
      },
    }),
    ApiAuthProblems('reader', '/v1/operations/order-42'),
  );

/** GET /v1/operations/{id}/events */
export const GetOperationEventsDocs = (): MethodDecorator =>
  ApiDocs(
    ApiOperation({
      summary: "Page through an operation's history",
      description:
        'The stored events of one operation in version order (1, 2, 3… gap-free), `limit` at a time from ' +
        '`fromVersion`; `nextFromVersion` says where the next page starts. Role: reader.',
    }),
    ApiOperationIdParam(),
    ApiOkResponse({ type: EventsPageDto, description: 'A page of the history.' }),
    ApiProblemResponse(400, 'A bad operation id, fromVersion or limit, or an unknown query parameter.', {
      badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/events'),
      badLimit: PROBLEM_EXAMPLES.badLimit('/v1/operations/order-42/events', 1000),
      unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42/events'),
    }),
    ApiProblemResponse(404, 'No events recorded for this operation.', {
      unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42/events'),
    }),
    ApiAuthProblems('reader', '/v1/operations/order-42/events'),
  );

/** GET /v1/operations/{id}/timeline */
export const GetOperationTimelineDocs = (): MethodDecorator =>
  ApiDocs(
    ApiOperation({
      summary: 'Where the time of an operation went',
      description:
        'Its stages ordered by first start, with attempts (counted, and each one with its start, end, outcome and ' +
        'error: one Gantt bar per attempt), durations (to now while running), which stages run now, and the elapsed ' +
        'time of the whole operation. With `atVersion`, the timeline as it was right after that version. Role: reader.',
    }),
    ApiOperationIdParam(),
    ApiOkResponse({ type: OperationTimelineDto, description: 'The timeline.' }),
    ApiProblemResponse(400, 'A bad operation id or atVersion, or an unknown query parameter.', {
      badId: PROBLEM_EXAMPLES.badId('/v1/operations/bad%20id!/timeline'),
      badAtVersion: {
        type: 'validation',
        title: 'Invalid request',
        status: 400,
        detail: 'atVersion must be an integer from 1 to 2147483647',
        instance: '/v1/operations/order-42/timeline?atVersion=0',
        field: 'atVersion',
      },
      unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/operations/order-42/timeline'),
    }),
    ApiProblemResponse(404, 'No events recorded for this operation (or none at the requested version).', {
      unknown: PROBLEM_EXAMPLES.notFound('/v1/operations/order-42/timeline'),
    }),
    ApiAuthProblems('reader', '/v1/operations/order-42/timeline'),
  );
