/**
 * A cap on the bytes of Kafka records that are parsed, waiting for an append
 * or being appended, summed over every partition of this instance. A chunk
 * takes its bytes before it is parsed and gives them back once its append
 * (and its dead letters) are done; past the cap, the next chunk waits, so its
 * partition takes nothing more from kafkajs and kafkajs fetches nothing more
 * (it fetches again only once every batch of its last fetch is handled).
 *
 * What is parsed and appended weighs several times its record bytes (objects,
 * strings, query parameters): bounding it bounds most of what ingest holds,
 * however many partitions and brokers feed this instance.
 */
export class InFlightBudget {
  private used = 0;
  private highWater = 0;
  private waited = 0;
  private readonly queue: { bytes: number; admit: () => void }[] = [];

  constructor(readonly capacityBytes: number) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 1) {
      throw new RangeError(`capacity must be a positive whole number of bytes, got ${capacityBytes}`);
    }
  }

  /**
   * Resolves once `bytes` fit next to what is in flight, in the order asked.
   * A request larger than the whole capacity is admitted alone (when nothing
   * else is in flight), so that one large record never blocks its partition.
   * The returned function gives the bytes back; calling it again does nothing.
   */
  async acquire(bytes: number): Promise<() => void> {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes must be >= 0, got ${bytes}`);
    if (this.queue.length > 0 || !this.fits(bytes)) {
      this.waited += 1;
      await new Promise<void>((admit) => this.queue.push({ bytes, admit }));
    } else {
      this.take(bytes);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.admitWaiting();
    };
  }

  /** Bytes in flight now, the most there ever were, and how many requests had to wait. */
  snapshot(): { capacityBytes: number; bytes: number; highWaterBytes: number; waits: number } {
    return { capacityBytes: this.capacityBytes, bytes: this.used, highWaterBytes: this.highWater, waits: this.waited };
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacityBytes;
  }

  private take(bytes: number): void {
    this.used += bytes;
    this.highWater = Math.max(this.highWater, this.used);
  }

  /** First come, first served: a small request never overtakes a large one that waits (no starvation). */
  private admitWaiting(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0].bytes)) {
      const next = this.queue.shift()!;
      this.take(next.bytes);
      next.admit();
    }
  }
}
