import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from './problem';

/**
 * Errors Fastify and Node raise before a request reaches Nest (a malformed URL,
 * an over-long path parameter, an oversized or garbled request head) leave as
 * problem+json like every other error, instead of their built-in JSON.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const [status, type, title, detail] =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [
          414,
          'uri-too-long',
          'URI too long',
          'a path segment is longer than the API accepts (operation ids: 200 characters)',
        ]
      : error.code === 'FST_ERR_BAD_URL'
        ? [400, 'bad-request', 'Bad request', 'the URL is not valid (bad percent-encoding?)']
        : [400, 'bad-request', 'Bad request', 'the request could not be routed'];
  void reply
    .status(status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(problem(status, type, title, detail).toProblem(request.url.slice(0, 200)));
}

/** Node's HTTP parser refused the request (too large a head, garbage): answer on the raw socket. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'the request head (line and headers) is larger than the server accepts'
      : status === 408
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP';
  const type = status === 431 ? 'headers-too-large' : status === 408 ? 'request-timeout' : 'bad-request';
  const body = JSON.stringify(problem(status, type, STATUS_CODES[status] ?? 'Bad request', detail).toProblem());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
