import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../common/problem';
import { API_KEY_SCHEME } from './api-key-scheme';
import { closedSchemaNames, REQUEST_CONTENT_EXTENSION } from './decorators';
import { AppendResultDto, CloudEventDto } from './schemas/append.schema';
import { DeadLetterPageDto } from './schemas/dead-letter.schema';
import { EventsPageDto } from './schemas/events-page.schema';
import { FeedPageDto } from './schemas/feed-page.schema';
import { LivenessDto, ReadinessDto } from './schemas/health.schema';
import { OperationListDto } from './schemas/operation-list.schema';
import { OperationStateDto, StageStateDto } from './schemas/operation-state.schema';
import { ProblemDto } from './schemas/problem.schema';
import { OperationStatsDto } from './schemas/stats.schema';
import { OperationTimelineDto } from './schemas/timeline.schema';

export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = '/docs-json';

const DESCRIPTION = `
opledger tracks *operations* by event sourcing: pipeline services send status events (CloudEvents 1.0) over
Kafka or \`POST /v1/operations/{id}/events\`; each is appended to an append-only log and folded into the
operation's state by rules under which a late or stale event never overwrites a newer fact.

**Authentication.** When API keys are configured (\`API_KEYS\` / \`API_KEYS_FILE\`), every route except
\`/health/*\` and these docs needs \`Authorization: Bearer <key>\`. A key has one role, and each role includes the
ones before it:

| Role | May |
| --- | --- |
| \`reader\` | every GET (state, history, feed, timeline, list, stats, watch streams) |
| \`writer\` | + append events |
| \`admin\` | + dead letters and administrative endpoints |

Without keys the service listens on loopback only and every route is open.

**Errors** are RFC 9457 problem details (\`application/problem+json\`): \`type\`, \`title\`, \`status\`, \`detail\`,
\`instance\`, plus \`field\` naming the request field at fault and \`currentVersion\` on version conflicts.
Unknown query parameters are refused with 400.

**Times** are RFC 3339; the service returns them in UTC with microseconds (\`2026-11-25T16:00:00.123456Z\`).
`.trim();

const TAGS: [string, string][] = [
  ['operations', 'The state of operations: current, in the past (time travel), listed and filtered, as a timeline.'],
  ['events', "Appending events, an operation's history and the global feed of every event."],
  ['watch', 'Server-sent event streams of live changes.'],
  ['stats', 'Counts over all operations.'],
  ['admin', 'For operators (admin role): dead letters, rebuilds.'],
  ['auth', 'Who the caller is: the role of its API key.'],
  ['health', 'Liveness and readiness probes (public).'],
];

/** Every response and request DTO, registered even if no route names it directly. */
const MODELS = [
  OperationStateDto,
  StageStateDto,
  EventsPageDto,
  FeedPageDto,
  OperationTimelineDto,
  OperationListDto,
  OperationStatsDto,
  CloudEventDto,
  AppendResultDto,
  DeadLetterPageDto,
  LivenessDto,
  ReadinessDto,
  ProblemDto,
];

type Operation = Record<string, unknown> & {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, unknown> };
};

/**
 * Finishes what the decorators cannot say: closes the fixed-shape schemas,
 * applies per-media-type request bodies, and drops header parameters that
 * OpenAPI ignores anyway (Content-Type is the request body's media type,
 * Authorization the security scheme).
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  for (const name of closedSchemaNames()) {
    const schema = schemas[name];
    if (schema && !('$ref' in schema)) schema.additionalProperties = false;
  }
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem) as Operation[]) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const content = operation[REQUEST_CONTENT_EXTENSION];
      if (content !== undefined) {
        if (operation.requestBody) operation.requestBody.content = content as Record<string, unknown>;
        delete operation[REQUEST_CONTENT_EXTENSION];
      }
      if (operation.parameters) {
        operation.parameters = operation.parameters.filter(
          (p) => !(p.in === 'header' && ['content-type', 'authorization'].includes(p.name.toLowerCase())),
        );
      }
    }
  }
  return document;
}

export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('opledger')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key as `Authorization: Bearer <key>`. Roles: `reader` (all reads), `writer` (reads and appends), ' +
          '`admin` (everything, dead letters included). Required only when the service has API keys configured.',
      },
      API_KEY_SCHEME,
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: MODELS,
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  return finishDocument(document);
}

const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const UI_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>opledger API</title>
  <link rel="stylesheet" href="/${OPENAPI_UI_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="/${OPENAPI_UI_PATH}/index.css">
  <link rel="icon" type="image/png" href="/${OPENAPI_UI_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/${OPENAPI_UI_PATH}/swagger-ui-bundle.js"></script>
  <script src="/${OPENAPI_UI_PATH}/swagger-ui-standalone-preset.js"></script>
  <script src="/${OPENAPI_UI_PATH}/swagger-ui-init.js"></script>
</body>
</html>
`;

const UI_INIT_JS = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_JSON_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;

/** The swagger-ui-dist that @nestjs/swagger depends on (and pins). */
function swaggerUiAssetsDir(): string {
  const packageJson = require.resolve('swagger-ui-dist/package.json', { paths: [require.resolve('@nestjs/swagger')] });
  return dirname(packageJson);
}

/**
 * Serves the OpenAPI document at /docs-json (SwaggerModule) and Swagger UI at /docs.
 * Both are registered straight on Fastify, outside Nest's router, so the global
 * ApiKeyGuard never runs for them: they are public even when API keys are configured.
 *
 * The UI's assets are served from a fixed list here rather than by SwaggerModule's
 * `ui: true`, which registers @fastify/static: that package requires the ESM-only
 * content-disposition 3, which Jest's CommonJS runtime cannot load (Nest then exits the process).
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    ui: false,
    raw: ['json'],
  });
  const fastify = app.getHttpAdapter().getInstance();
  const assetsDir = swaggerUiAssetsDir();
  const html = (_request: unknown, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(UI_HTML);
  fastify.get(`/${OPENAPI_UI_PATH}`, html);
  fastify.get(`/${OPENAPI_UI_PATH}/`, html);
  fastify.get(`/${OPENAPI_UI_PATH}/swagger-ui-init.js`, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(UI_INIT_JS),
  );
  fastify.get<{ Params: { asset: string } }>(`/${OPENAPI_UI_PATH}/:asset`, (request, reply) => {
    const type = Object.prototype.hasOwnProperty.call(UI_ASSETS, request.params.asset)
      ? UI_ASSETS[request.params.asset]
      : undefined;
    if (type === undefined) {
      return reply
        .status(404)
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: 'https://opledger.dev/problems/not-found',
          title: 'Not found',
          status: 404,
          detail: `no such documentation asset: ${request.params.asset}`,
          instance: request.url,
        });
    }
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=3600')
      .send(createReadStream(join(assetsDir, request.params.asset)));
  });
}
