import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { MetricsService } from '../../metrics/metrics.service';
import { AppendOutcome, EventStore } from '../event-store.service';
import { AppendEventsCommand } from './append-events.command';

/** The one write path (Kafka and HTTP), so it is also where appends are measured. */
@CommandHandler(AppendEventsCommand)
export class AppendEventsHandler implements ICommandHandler<AppendEventsCommand, AppendOutcome[]> {
  constructor(
    private readonly store: EventStore,
    private readonly metrics: MetricsService,
  ) {}

  async execute(command: AppendEventsCommand): Promise<AppendOutcome[]> {
    const stopTimer = this.metrics.appendDuration.startTimer();
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.store.append(command.events, command.options);
    } finally {
      stopTimer();
    }
    this.metrics.appendBatchSize.observe(command.events.length);
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'appended') {
        const event = command.events[index];
        this.metrics.countAppended(event.type, event.source);
      } else if (outcome.status === 'duplicate') {
        this.metrics.duplicatesIgnored.inc();
      } else {
        this.metrics.eventsRejected.inc({ reason: outcome.rejection.reason });
      }
    });
    return outcomes;
  }
}
