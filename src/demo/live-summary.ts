import type { OperationStats } from '../client/api-types';
import type { OpledgerApi, WatchMessage } from '../client/opledger-api';
import type { PipelineCounters } from './simulated-pipeline';

const TTY_REDRAW_MS = 250;
const PLAIN_LINE_EVERY_MS = 2000;
const RATE_WINDOW_MS = 2000;

/**
 * The demo's live view of the service, not of the pipeline: operation counts
 * from GET /v1/stats (minus what was there before the run) and the events this
 * run got stored, counted from the live feed (GET /v1/events/watch).
 */
export class LiveSummary {
  private baseline: OperationStats | null = null;
  private latest: OperationStats | null = null;
  private stored = 0;
  private readonly storedAt: { at: number; count: number }[] = [];
  private readonly stop = new AbortController();
  private watching: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | null = null;
  private lastPlainLineAt = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly api: OpledgerApi,
    /** Operation ids of this run start with it. */
    private readonly operationPrefix: string,
    private readonly documents: number,
    private readonly counters: PipelineCounters,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /** Events of this run that opledger has stored so far. */
  get storedEvents(): number {
    return this.stored;
  }

  /** Resolves once the feed is being watched, so that no event of the run is missed. */
  async start(): Promise<void> {
    this.baseline = await this.api.stats();
    this.latest = this.baseline;
    // Without `after`, the stream starts at the end of the log and says where that is first.
    const stream = this.api.watchFeed({ signal: this.stop.signal });
    const first = await stream.next();
    const head = !first.done && first.value.kind === 'position' ? first.value.id : '0';
    this.watching = this.watch(stream, head);
    this.ticker = setInterval(() => void this.tick(), TTY_REDRAW_MS);
  }

  async finish(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.latest = await this.api.stats().catch(() => this.latest);
    this.stop.abort();
    await this.watching;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${this.line()}\n`);
    else this.out.write(`${this.line()}\n`);
  }

  line(): string {
    const delta = (pick: (s: OperationStats) => number) =>
      this.latest && this.baseline ? pick(this.latest) - pick(this.baseline) : 0;
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(5);
    return [
      `${seconds} s`,
      `documents ${this.counters.documentsStarted}/${this.documents} started`,
      `in progress ${delta((s) => s.inProgress)}`,
      `succeeded ${delta((s) => s.byStatus.succeeded)}`,
      `failed ${delta((s) => s.byStatus.failed)}`,
      `${Math.round(this.rate())} events/s`,
      `stored ${this.stored.toLocaleString('en-US')} of ${this.counters.eventsSent.toLocaleString('en-US')} sent`,
    ].join(' │ ');
  }

  private async tick(): Promise<void> {
    try {
      this.latest = await this.api.stats();
    } catch {
      // A slow or failed read only delays the next line.
    }
    if (this.ticker === null) return;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${this.line()}`);
    } else if (Date.now() - this.lastPlainLineAt >= PLAIN_LINE_EVERY_MS) {
      this.lastPlainLineAt = Date.now();
      this.out.write(`${this.line()}\n`);
    }
  }

  /** Stored events per second over the last couple of seconds. */
  private rate(): number {
    const now = Date.now();
    while (this.storedAt.length > 1 && now - this.storedAt[0].at > RATE_WINDOW_MS) this.storedAt.shift();
    const first = this.storedAt[0];
    if (!first || now - first.at < 200) return 0;
    return ((this.stored - first.count) * 1000) / (now - first.at);
  }

  private async watch(opened: AsyncGenerator<WatchMessage>, after: string): Promise<void> {
    let position = after;
    let stream = opened;
    while (!this.stop.signal.aborted) {
      try {
        for await (const message of stream) {
          if (message.kind !== 'event') continue;
          position = message.id;
          if (message.event.subject.startsWith(this.operationPrefix)) {
            this.stored += 1;
            this.storedAt.push({ at: Date.now(), count: this.stored });
          }
        }
      } catch {
        if (this.stop.signal.aborted) return;
      }
      // The stream ended (a restart, a proxy): resume after the last event seen.
      await new Promise((resolve) => setTimeout(resolve, 200));
      stream = this.api.watchFeed({ after: position, signal: this.stop.signal });
    }
  }
}
