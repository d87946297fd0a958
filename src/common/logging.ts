import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { ResolvedConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the caller's X-Request-Id when it is sane, else a new one.
 * Fastify calls this first; storing it on the raw request lets the pino-http
 * logger (which sees only the raw request) log the same id.
 */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  (request as { id?: unknown }).id = id;
  return id;
}

/**
 * JSON logs carrying the request id (echoed in the X-Request-Id response header). Requests are logged without headers or
 * bodies: no API keys and no event payloads reach the logs. Successful requests
 * log at debug, so a busy service's info log stays readable.
 */
export function loggingParams(config: ResolvedConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (request: IncomingMessage) => {
        const known = (request as { id?: unknown }).id;
        return typeof known === 'string' ? known : requestIdOf(request);
      },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          url: request.url,
        }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'info' : 'debug',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  };
}
