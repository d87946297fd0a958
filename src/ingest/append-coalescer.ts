import type { OperationEvent } from '../envelope/operation-event';
import type { AppendOutcome } from '../event-store/event-store.service';
import { isTransientDatabaseError, isWriteConflict } from '../event-store/transient-errors';

type AppendBatch = (events: OperationEvent[]) => Promise<AppendOutcome[]>;

interface Waiting {
  events: OperationEvent[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
}

export interface AppendCoalescerOptions {
  /** Most events merged into one append. */
  maxEvents: number;
  /** Appends running at once: two let one be read and folded while the other holds the append-order lock. */
  maxInFlight: number;
}

/**
 * Group commit for the Kafka consumer: the chunks that partitions hand in while
 * an append is running are merged into the next one, so a fetch that brings a
 * few events for each of many partitions costs one append (one read, one
 * write, one commit under the append-order lock) instead of one per partition.
 *
 * Order is kept where it matters: each partition waits for its chunk before
 * handing in the next, and all events of an operation come from one partition.
 */
export class AppendCoalescer {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private drainScheduled = false;

  constructor(
    private readonly appendBatch: AppendBatch,
    private readonly options: AppendCoalescerOptions,
  ) {}

  append(events: OperationEvent[]): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      this.scheduleDrain();
    });
  }

  /** After the current turn of the event loop: the partitions of one fetch hand in their chunks together. */
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

  /** The oldest waiting chunks, up to maxEvents (always at least one chunk, however large). */
  private takeGroup(): Waiting[] {
    const group = [this.waiting.shift()!];
    let size = group[0].events.length;
    while (this.waiting.length > 0 && size + this.waiting[0].events.length <= this.options.maxEvents) {
      const next = this.waiting.shift()!;
      size += next.events.length;
      group.push(next);
    }
    return group;
  }

  private async run(group: Waiting[]): Promise<void> {
    if (group.length === 1) {
      await this.settle(group[0], () => this.appendBatch(group[0].events));
      return;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.appendBatch(group.flatMap((member) => member.events));
    } catch (error) {
      if (isTransientDatabaseError(error) && !isWriteConflict(error)) {
        // The database is unreachable or shutting down: every chunk waits for it alike.
        for (const member of group) member.reject(error);
        return;
      }
      // Something in the merged batch is unstorable, or keeps colliding with another writer: each
      // chunk is tried on its own (one after another, as many connections as a single append), so
      // only the chunk that holds it sees the error and the other partitions go on.
      for (const member of group) await this.settle(member, () => this.appendBatch(member.events));
      return;
    }
    let offset = 0;
    for (const member of group) {
      member.resolve(outcomes.slice(offset, offset + member.events.length));
      offset += member.events.length;
    }
  }

  private async settle(member: Waiting, work: () => Promise<AppendOutcome[]>): Promise<void> {
    try {
      member.resolve(await work());
    } catch (error) {
      member.reject(error);
    }
  }
}
