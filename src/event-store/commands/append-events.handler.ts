import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppendOutcome, EventStore } from '../event-store.service';
import { AppendEventsCommand } from './append-events.command';

@CommandHandler(AppendEventsCommand)
export class AppendEventsHandler implements ICommandHandler<AppendEventsCommand, AppendOutcome[]> {
  constructor(private readonly store: EventStore) {}

  execute(command: AppendEventsCommand): Promise<AppendOutcome[]> {
    return this.store.append(command.events, command.options);
  }
}
