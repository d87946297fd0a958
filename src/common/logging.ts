import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the caller's X-Request-Id when it is sane, else a new one.
 * Fastify calls this (as genReqId) with the raw request; it is stored there too,
 * for anything that sees only the raw request.
 */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  (request as { id?: unknown }).id = id;
  return id;
}

/**
 * JSON logs (pino). nestjs-pino provides the application logger only: its
 * per-request middleware is off (`forRoutes: []`), because it binds a logger to
 * each request through AsyncLocalStorage, and on Node 20 an AsyncLocalStorage
 * in use turns on async hooks for every promise of the process (the Kafka
 * consumer's and pg's included), a tax on every await. Requests are logged by
 * `logRequest` from a Fastify hook instead, with the same fields and levels.
 */
export function loggingParams(config: ResolvedConfig): Params {
  return {
    forRoutes: [],
    pinoHttp: { level: config.logLevel },
  };
}

/**
 * The logger for request lines: the application's, with `req` and `res` written as given (the root
 * logger made by pino-http has serializers for Node's request and response objects there).
 */
export function requestLoggerOf(root: Logger): Logger {
  const asGiven = (value: unknown) => value;
  return root.child({}, { serializers: { req: asGiven, res: asGiven } });
}

export type RequestLogLevel = 'debug' | 'info' | 'error';

/** Successful requests at debug, so a busy service's info log stays readable; 4xx at info, 5xx at error. */
export function requestLogLevel(statusCode: number): RequestLogLevel {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'info' : 'debug';
}

/**
 * One line per answered request, carrying the request id (echoed in the X-Request-Id response
 * header). Requests are logged without headers or bodies: no API keys and no event payloads reach
 * the logs. Nothing is built unless the level is enabled.
 */
export function logRequest(
  logger: Logger,
  request: { id: string; method: string; url: string },
  statusCode: number,
  responseTimeMs: number,
): void {
  const level = requestLogLevel(statusCode);
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      req: { id: request.id, method: request.method, url: request.url },
      res: { statusCode },
      responseTime: Math.round(responseTimeMs),
    },
    'request completed',
  );
}
