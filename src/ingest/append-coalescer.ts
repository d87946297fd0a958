import type { OperationEvent } from '../envelope/operation-event';
import type { AppendOutcome } from '../event-store/event-store.service';
import { isTransientDatabaseError, isWriteConflict } from '../event-store/transient-errors';

export interface AppendCoalescerOptions {
  /** Most events merged into one append. */
  maxEvents: number;
  /** Appends running at once: while one is read and folded in Node, others are in Postgres. */
  maxInFlight: number;
}

/** How a coalescer appends what its callers hand in: merged, or one item alone. */
export interface MergingAppender<Item, Result> {
  /** Events in an item. */
  size(item: Item): number;
  /** One append for all the items; one result per item, in order. Throws if the append as a whole failed. */
  merged(items: Item[]): Promise<Result[]>;
  alone(item: Item): Promise<Result>;
  /**
   * After a merged append failed for something other than an unreachable database, each item is
   * tried alone: one after another (bounded connections; the Kafka partitions wait anyway) or all
   * at once (HTTP requests: none waits behind another's retry).
   */
  isolate: 'one-by-one' | 'all-at-once';
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the items handed in while appends are running are merged into
 * the next one, so many small appends arriving together cost one append (one
 * read, one write, one commit) instead of one each.
 * The drain waits for the end of the current turn of the event loop, so items
 * handed in together (the partitions of one fetch, the requests read from the
 * sockets in one poll) go together even when nothing is in flight.
 */
export class Coalescer<Item, Result> {
  private readonly waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private drainScheduled = false;

  constructor(
    private readonly appender: MergingAppender<Item, Result>,
    private readonly options: AppendCoalescerOptions,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.scheduleDrain();
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.takeGroup();
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.scheduleDrain();
      });
    }
  }

  /** The oldest waiting items, up to maxEvents (always at least one item, however large). */
  private takeGroup(): Waiting<Item, Result>[] {
    const group = [this.waiting.shift()!];
    let size = this.appender.size(group[0].item);
    while (this.waiting.length > 0 && size + this.appender.size(this.waiting[0].item) <= this.options.maxEvents) {
      const next = this.waiting.shift()!;
      size += this.appender.size(next.item);
      group.push(next);
    }
    return group;
  }

  private async run(group: Waiting<Item, Result>[]): Promise<void> {
    if (group.length === 1) {
      await this.settle(group[0]);
      return;
    }
    let results: Result[];
    try {
      results = await this.appender.merged(group.map((member) => member.item));
    } catch (error) {
      if (isTransientDatabaseError(error) && !isWriteConflict(error)) {
        // The database is unreachable or shutting down: every member waits for it alike.
        for (const member of group) member.reject(error);
        return;
      }
      // Something in the merged append is unstorable, or keeps colliding with another writer: each
      // member is tried alone, so only the one that holds it sees the error and the others go on.
      if (this.appender.isolate === 'all-at-once') await Promise.all(group.map((member) => this.settle(member)));
      else for (const member of group) await this.settle(member);
      return;
    }
    group.forEach((member, index) => member.resolve(results[index]));
  }

  private async settle(member: Waiting<Item, Result>): Promise<void> {
    try {
      member.resolve(await this.appender.alone(member.item));
    } catch (error) {
      member.reject(error);
    }
  }
}

/**
 * Group commit for the Kafka consumer: the chunks that partitions hand in while
 * an append is running are merged into the next one, so a fetch that brings a
 * few events for each of many partitions costs one append instead of one per
 * partition. Every event is decided on its own, as in a single chunk.
 *
 * Order is kept where it matters: each partition waits for its chunk before
 * handing in the next, and all events of an operation come from one partition.
 */
export class AppendCoalescer {
  private readonly coalescer: Coalescer<OperationEvent[], AppendOutcome[]>;

  constructor(appendBatch: (events: OperationEvent[]) => Promise<AppendOutcome[]>, options: AppendCoalescerOptions) {
    this.coalescer = new Coalescer(
      {
        size: (events) => events.length,
        merged: async (chunks) => {
          const outcomes = await appendBatch(chunks.flat());
          let offset = 0;
          return chunks.map((chunk) => outcomes.slice(offset, (offset += chunk.length)));
        },
        alone: appendBatch,
        isolate: 'one-by-one',
      },
      options,
    );
  }

  append(events: OperationEvent[]): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.coalescer.submit(events);
  }
}
