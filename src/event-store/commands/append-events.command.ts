import { Command } from '@nestjs/cqrs';
import type { OperationEvent } from '../../envelope/operation-event';
import type { AppendOptions, AppendOutcome } from '../event-store.service';

/** Append validated events to the log; the one write path for Kafka and HTTP alike. */
export class AppendEventsCommand extends Command<AppendOutcome[]> {
  constructor(
    readonly events: readonly OperationEvent[],
    readonly options: AppendOptions = {},
  ) {
    super();
  }
}
