import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { ResolvedConfig } from './config/app-config';
import { registerRateLimits } from './auth/rate-limits';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { clientErrorHandler, frameworkErrors } from './common/framework-errors';
import { logRequest, requestIdOf, requestLoggerOf } from './common/logging';
import { createValidationPipe } from './common/validation';
import { MetricsService } from './metrics/metrics.service';
import { setupOpenApi } from './openapi/openapi';

const LOG_LEVELS: Record<ResolvedConfig['logLevel'], LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

/** Builds the application (not listening yet): shared by main.ts and the tests. */
export async function createApp(config: ResolvedConfig): Promise<NestFastifyApplication> {
  // 'idle': on close, keep-alive connections with no request in flight are closed at once instead of
  // holding the shutdown until they time out; requests in flight still finish.
  const adapter = new FastifyAdapter({
    bodyLimit: config.httpBodyLimitBytes,
    genReqId: requestIdOf,
    forceCloseConnections: 'idle',
    // Operation ids may be 200 characters (and percent-encoding makes them longer in the URL).
    routerOptions: { maxParamLength: 1000 },
    frameworkErrors,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: LOG_LEVELS[config.logLevel],
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(NestPinoLogger));
  // Nest routes Fastify's own errors (body parsing, size, content type) and unknown
  // routes through the global filters too, so every error leaves as problem+json.
  const fastify = app.getHttpAdapter().getInstance();
  // CloudEvents' own media types are JSON too (same prototype-poisoning protection as application/json).
  fastify.addContentTypeParser(
    ['application/cloudevents+json', 'application/cloudevents-batch+json'],
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  const metrics = app.get(MetricsService);
  let requestLogger: ReturnType<typeof requestLoggerOf> | undefined;
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL: operation ids must not become label values.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // Made on first use: nestjs-pino sets its root logger when the application initialises, after this runs.
    requestLogger ??= requestLoggerOf(PinoLogger.root);
    logRequest(requestLogger, request, reply.statusCode, reply.elapsedTime);
    done();
  });
  await registerRateLimits(app, config);
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  // Public: SwaggerModule serves /docs and /docs-json straight from Fastify, outside the ApiKeyGuard.
  setupOpenApi(app);
  return app;
}
