import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiExtension, ApiParam, ApiResponse, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import type { ExampleObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../common/problem';

const closedSchemas = new Set<string>();

/** Names of the schemas declared with {@link ClosedSchema}. */
export function closedSchemaNames(): ReadonlySet<string> {
  return closedSchemas;
}

/**
 * Publishes a response DTO under `name` with a fixed shape: setupOpenApi adds
 * `additionalProperties: false`, so a field the API sends without documenting it
 * contradicts the schema (and fails test/e2e/openapi.e2e.ts).
 */
export function ClosedSchema(name: string, description: string): ClassDecorator {
  closedSchemas.add(name);
  return ApiSchema({ name, description });
}

/** Any JSON value, null included: for producer-defined fields (`result`, `error`…). */
export const ANY_JSON_VALUE: { anyOf: SchemaObject[]; nullable: true } = {
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
  ],
  nullable: true,
};

/** The vendor extension that carries per-media-type request bodies until setupOpenApi applies them. */
export const REQUEST_CONTENT_EXTENSION = 'x-opledger-request-content';

export interface MediaTypeBody {
  schema: SchemaObject | ReferenceObject;
  examples?: Record<string, ExampleObject>;
}

/**
 * A request body whose schema depends on the media type (e.g. one CloudEvent
 * under application/cloudevents+json, an array under the batch type). @ApiBody
 * alone repeats one schema under every type; setupOpenApi replaces its content
 * with these.
 */
export function ApiRequestContent(description: string, content: Record<string, MediaTypeBody>): MethodDecorator {
  const schemas = Object.values(content).map((body) => body.schema);
  return applyDecorators(
    ApiBody({ description, required: true, schema: { oneOf: schemas } }),
    ApiExtension(REQUEST_CONTENT_EXTENSION, content),
  );
}

const PROBLEM_TYPE_BASE = 'https://opledger.dev/problems/';

export interface ProblemExample {
  /** The last segment of the problem type URI (validation, not-found…). */
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  field?: string;
  currentVersion?: number;
  jobId?: number | null;
  storedVersion?: number;
  storedOperationId?: string;
}

/** One error status of an endpoint: application/problem+json with the Problem schema and named examples. */
export function ApiProblemResponse(
  status: number,
  description: string,
  examples: Record<string, ProblemExample>,
  headers: Record<string, { description: string; example: string }> = {},
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    headers: Object.fromEntries(
      Object.entries(headers).map(([name, header]) => [
        name,
        { description: header.description, schema: { type: 'string', example: header.example } },
      ]),
    ),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath('Problem') },
        examples: Object.fromEntries(
          Object.entries(examples).map(([name, { type, ...rest }]) => [
            name,
            { summary: rest.detail, value: { type: `${PROBLEM_TYPE_BASE}${type}`, ...rest } },
          ]),
        ),
      },
    },
  });
}

/**
 * 401 (always possible once API keys are configured) and, for routes that need
 * more than `reader`, 403.
 */
export function ApiAuthProblems(role: 'reader' | 'writer' | 'admin', instance: string): MethodDecorator {
  const decorators = [
    ApiProblemResponse(
      401,
      'No API key, another scheme than Bearer, or an unknown key (only when API keys are configured).',
      {
        missing: {
          type: 'unauthorized',
          title: 'Authentication required',
          status: 401,
          detail: 'send an API key as "Authorization: Bearer <key>"',
          instance,
        },
        invalid: {
          type: 'unauthorized',
          title: 'Authentication required',
          status: 401,
          detail: 'the API key is not valid',
          instance,
        },
      },
      {
        'WWW-Authenticate': {
          description: 'The scheme to use; `error="invalid_token"` when the key was not recognised.',
          example: 'Bearer realm="opledger"',
        },
      },
    ),
  ];
  if (role !== 'reader') {
    decorators.push(
      ApiProblemResponse(403, `The API key is valid but its role is below \`${role}\`.`, {
        role: {
          type: 'forbidden',
          title: 'Forbidden',
          status: 403,
          detail: `this route needs the ${role} role; the key has reader`,
          instance,
        },
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** Ready-made problem examples shared by several endpoints. */
export const PROBLEM_EXAMPLES = {
  badId: (instance: string): ProblemExample => ({
    type: 'validation',
    title: 'Invalid request',
    status: 400,
    detail: 'the operation id must be 1 to 200 characters of [A-Za-z0-9._:-]',
    instance,
    field: 'id',
  }),
  unknownParameter: (instance: string): ProblemExample => ({
    type: 'validation',
    title: 'Invalid request',
    status: 400,
    detail: 'property verbose should not exist',
    instance: `${instance}?verbose=1`,
    field: 'verbose',
  }),
  badLimit: (instance: string, max: number): ProblemExample => ({
    type: 'validation',
    title: 'Invalid request',
    status: 400,
    detail: `limit must be an integer from 1 to ${max}`,
    instance: `${instance}?limit=${max + 1}`,
    field: 'limit',
  }),
  notFound: (instance: string): ProblemExample => ({
    type: 'not-found',
    title: 'Operation not found',
    status: 404,
    detail: 'no events have been recorded for operation "order-42"',
    instance,
  }),
};

/** The `{id}` path parameter: an operation id. */
export function ApiOperationIdParam(): MethodDecorator {
  return ApiParam({
    name: 'id',
    description: 'The operation id (the `subject` of its events): 1 to 200 characters of `[A-Za-z0-9._:-]`.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,200}$', example: 'order-42' },
  });
}

/**
 * A route's documentation as one decorator: `decorators` are applied as if
 * written one above the other on the method (the last one first, as
 * TypeScript applies stacked decorators), so the document is the same as with
 * them on the method, and the controller keeps only what the route does.
 */
export function ApiDocs(...decorators: MethodDecorator[]): MethodDecorator {
  return applyDecorators(...[...decorators].reverse());
}
