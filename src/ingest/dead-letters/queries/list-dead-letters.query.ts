import { Query } from '@nestjs/cqrs';
import type { DeadLetterView } from '../../../contract/dead-letter-view';

export type { DeadLetterView };

/** Newest first; `beforeId` continues a previous page. */
export class ListDeadLettersQuery extends Query<{ items: DeadLetterView[]; nextBeforeId: number | null }> {
  constructor(
    readonly beforeId: number | null,
    readonly limit: number,
  ) {
    super();
  }
}
