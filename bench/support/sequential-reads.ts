/**
 * Times one kind of read the way an operator's dashboard or CLI issues it: one
 * request at a time over a kept-alive connection, from the first byte sent to
 * the last byte of the body received. Sequential calls measure the latency of
 * the read itself, not the service's throughput under concurrency (the api
 * scenario does that).
 */
import { Agent, request } from 'node:http';
import { type LatencySummary, summarise } from './percentiles';

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export interface TimedRead {
  /** What the last call answered: 'ok' (2xx), 'missing' (404: the route or resource does not exist), 'error'. */
  outcome: 'ok' | 'missing' | 'error';
  status: number;
  latency: LatencySummary | null;
  /** The body of the last answer (to count what it found, or to show the problem). */
  lastBody: string;
  calls: number;
}

export interface TimingPlan {
  warmUpCalls: number;
  /** At least this many timed calls… */
  minCalls: number;
  /** …and more, up to this many, while the time budget lasts. */
  maxCalls: number;
  budgetMs: number;
}

export class SequentialReader {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly baseUrl: string) {}

  get(path: string): Promise<HttpAnswer> {
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(url, { agent: this.agent, headers: { accept: 'application/json' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Warms up, then times calls of `path()` (a new path per call, e.g. a random id). A 404 or an error
   * on the first call stops there: a route that does not exist is reported, not timed.
   */
  async time(path: () => string, plan: TimingPlan): Promise<TimedRead> {
    const first = await this.get(path());
    if (first.status < 200 || first.status >= 300) {
      return {
        outcome: first.status === 404 ? 'missing' : 'error',
        status: first.status,
        latency: null,
        lastBody: first.body,
        calls: 1,
      };
    }
    for (let i = 1; i < plan.warmUpCalls; i += 1) await this.get(path());
    const samples: number[] = [];
    let last = first;
    const deadline = performance.now() + plan.budgetMs;
    while (samples.length < plan.minCalls || (samples.length < plan.maxCalls && performance.now() < deadline)) {
      last = await this.get(path());
      if (last.status < 200 || last.status >= 300) {
        return { outcome: 'error', status: last.status, latency: null, lastBody: last.body, calls: samples.length };
      }
      samples.push(last.ms);
    }
    return {
      outcome: 'ok',
      status: last.status,
      latency: summarise(samples),
      lastBody: last.body,
      calls: samples.length,
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
