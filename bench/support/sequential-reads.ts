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
  /** At least this many rounds (timed calls of each read)… */
  minRounds: number;
  /** …and more, up to this many, while the time budget lasts. */
  maxRounds: number;
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
   * Times several reads in rounds: each round calls every read once, one call at a time, so that a
   * burst of noise on a shared machine lands on all reads alike instead of on whichever read was being
   * timed. First a warm-up of each read; a read whose first answer is a 404 or an error is reported
   * as such and left out of the rounds (a route that does not exist is not timed).
   */
  async timeInRounds(paths: (() => string)[], plan: TimingPlan): Promise<TimedRead[]> {
    const results: TimedRead[] = [];
    const samples: number[][] = paths.map(() => []);
    for (const path of paths) {
      const first = await this.get(path());
      const ok = first.status >= 200 && first.status < 300;
      results.push({
        outcome: ok ? 'ok' : first.status === 404 ? 'missing' : 'error',
        status: first.status,
        latency: null,
        lastBody: first.body,
        calls: 0,
      });
      for (let i = 1; ok && i < plan.warmUpCalls; i += 1) await this.get(path());
    }
    const deadline = performance.now() + plan.budgetMs;
    for (
      let round = 0;
      round < plan.minRounds || (round < plan.maxRounds && performance.now() < deadline);
      round += 1
    ) {
      for (let index = 0; index < paths.length; index += 1) {
        const result = results[index];
        if (result.outcome !== 'ok') continue;
        const answer = await this.get(paths[index]());
        result.status = answer.status;
        result.lastBody = answer.body;
        if (answer.status < 200 || answer.status >= 300) result.outcome = 'error';
        else samples[index].push(answer.ms);
      }
    }
    return results.map((result, index) => ({
      ...result,
      calls: samples[index].length,
      latency: result.outcome === 'ok' ? summarise(samples[index]) : null,
    }));
  }

  close(): void {
    this.agent.destroy();
  }
}
