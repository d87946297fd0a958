/**
 * Holds HTTP writers back between requests: closed, no new request (or retry)
 * starts until it opens again, so that a failpoint armed in the shared append
 * path is certainly reached by a Kafka append.
 */
export class RequestGate {
  private inFlight = 0;
  private closed: Promise<void> | null = null;
  private release: (() => void) | null = null;
  private readonly whenIdle: (() => void)[] = [];

  async through<T>(request: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.inFlight += 1;
    try {
      return await request();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
    }
  }

  /** Resolves once no request is in flight (and none starts until open()). */
  async close(): Promise<void> {
    this.closed ??= new Promise((resolve) => (this.release = resolve));
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.whenIdle.push(resolve));
  }

  open(): void {
    this.release?.();
    this.closed = null;
    this.release = null;
  }
}
