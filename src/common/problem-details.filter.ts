import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException, problem } from './problem';

const TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['too-many-requests', 'Too many requests'],
  503: ['unavailable', 'Service unavailable'],
};

/** Converts any error into an RFC 9457 problem; a 5xx never reveals internals. */
export function toProblem(error: unknown, instance: string, logger: Logger): ProblemDetails {
  if (error instanceof ProblemException) return error.toProblem(instance);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const [type, title] = TITLES[status] ?? ['http-error', 'Request failed'];
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : error.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    if (status >= 500) logger.error(error.stack ?? String(error));
    return problem(status, type, title, status >= 500 ? 'The server failed to process the request.' : detail).toProblem(
      instance,
    );
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const [type, title] = TITLES[status] ?? ['bad-request', 'Bad request'];
    return problem(status, type, title, fastifyError.message ?? title).toProblem(instance);
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return problem(500, 'internal', 'Internal server error', 'The server failed to process the request.').toProblem(
    instance,
  );
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails): void {
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (error instanceof ProblemException) {
      for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    }
    // Logs carry no request context of their own (see loggingParams): a 5xx names its request id.
    const logger = error instanceof ProblemException ? this.logger : new Logger(`HTTP ${request.id}`);
    sendProblem(reply, toProblem(error, request.url, logger));
  }
}
