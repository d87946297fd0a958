import { Query } from '@nestjs/cqrs';
import type { OperationState } from '../../projection/operation-fold';

/** Time travel: the state folded from a prefix of the history. */
export class GetOperationAtQuery extends Query<OperationState | null> {
  constructor(
    readonly operationId: string,
    readonly atVersion: number | null,
    /** Canonical RFC 3339: events recorded at or before this instant. */
    readonly asOf: string | null,
  ) {
    super();
  }
}
