import type { OperationEvent } from '../envelope/operation-event';
import type { AppendOutcome } from '../event-store/event-store.service';

interface Submission {
  events: readonly OperationEvent[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges the appends of partitions processed at the same time into shared
 * transactions. Every append transaction holds the append-order lock from its
 * insert to its commit, so transactions are serialised there; a fetch that
 * brings small batches for many partitions would otherwise queue one
 * transaction (and one commit) per partition, and each waits for all before it.
 * Submissions that arrive while `maxInFlight` transactions run are appended
 * together by the next one (up to `maxEvents` events); each caller gets the
 * outcomes of its own events, in order, or the error of the shared transaction.
 */
export class AppendCoalescer {
  private readonly waiting: Submission[] = [];
  private inFlight = 0;

  constructor(
    private readonly append: (events: OperationEvent[]) => Promise<AppendOutcome[]>,
    private readonly maxEvents: number,
    private readonly maxInFlight: number,
  ) {}

  submit(events: readonly OperationEvent[]): Promise<AppendOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      this.startNext();
    });
  }

  private startNext(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group = [this.waiting.shift()!];
      let size = group[0].events.length;
      while (this.waiting.length > 0 && size + this.waiting[0].events.length <= this.maxEvents) {
        const next = this.waiting.shift()!;
        size += next.events.length;
        group.push(next);
      }
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.startNext();
      });
    }
  }

  private async run(group: Submission[]): Promise<void> {
    try {
      const outcomes = await this.append(group.flatMap((s) => s.events));
      let offset = 0;
      for (const submission of group) {
        submission.resolve(outcomes.slice(offset, offset + submission.events.length));
        offset += submission.events.length;
      }
    } catch (error) {
      for (const submission of group) submission.reject(error);
    }
  }
}
