import type { RejectedOutcome } from '../../event-store/append-plan';
import type { AppendOutcome } from '../../event-store/event-store.service';

/** What one HTTP request's append came to: all of its events decided, or the whole request refused. */
export type RequestAppendResult =
  { status: 'stored'; outcomes: AppendOutcome[] } | { status: 'refused'; rejected: RejectedOutcome };

/**
 * Splits the outcomes of a merged append (requests appended as consecutive
 * all-or-nothing units of these sizes) back into each request's result. A
 * refused unit's outcomes all carry its refusal (see planAppend).
 */
export function splitByRequest(outcomes: readonly AppendOutcome[], sizes: readonly number[]): RequestAppendResult[] {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total !== outcomes.length) throw new RangeError(`${outcomes.length} outcomes for requests of ${total} events`);
  let offset = 0;
  return sizes.map((size) => {
    const own = outcomes.slice(offset, (offset += size));
    const rejected = own.find((o): o is RejectedOutcome => o.status === 'rejected');
    return rejected ? { status: 'refused', rejected } : { status: 'stored', outcomes: own };
  });
}
