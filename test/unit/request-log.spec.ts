import { Writable } from 'node:stream';
import pino from 'pino';
import { logRequest, requestLoggerOf, requestLogLevel } from '../../src/common/logging';

function capture(level: pino.LevelWithSilent, options: pino.LoggerOptions = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level, ...options }, sink) };
}

const request = { id: 'req-7', method: 'POST', url: '/v1/operations/order-42/events' };

describe('request log', () => {
  it('logs successes at debug, client errors at info and server errors at error', () => {
    expect([200, 201, 304, 400, 412, 499, 500, 503].map(requestLogLevel)).toEqual([
      'debug',
      'debug',
      'debug',
      'info',
      'info',
      'info',
      'error',
      'error',
    ]);
  });

  it('writes one line with the request id, method, URL, status and time, and nothing else of the request', () => {
    const { lines, logger } = capture('debug');
    logRequest(logger, { ...request, headers: { authorization: 'Bearer secret' } } as typeof request, 201, 3.4);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      msg: 'request completed',
      req: request,
      res: { statusCode: 201 },
      responseTime: 3,
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
  });

  it('keeps req and res as given on a logger that has serializers for Node request objects there', () => {
    const { lines, logger } = capture('debug', { serializers: pino.stdSerializers });
    logRequest(requestLoggerOf(logger), request, 404, 1);
    expect(lines[0]).toMatchObject({ level: 30, req: request, res: { statusCode: 404 } });
  });

  it('writes nothing below the configured level', () => {
    const { lines, logger } = capture('warn');
    logRequest(logger, request, 201, 1);
    logRequest(logger, request, 404, 1);
    expect(lines).toHaveLength(0);
    logRequest(logger, request, 500, 1);
    expect(lines.map((l) => l.level)).toEqual([50]);
  });
});
