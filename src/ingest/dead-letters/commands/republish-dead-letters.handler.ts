import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DeadLetterService, type RepublishResult } from '../dead-letter.service';
import { RepublishDeadLettersCommand } from './republish-dead-letters.command';

@CommandHandler(RepublishDeadLettersCommand)
export class RepublishDeadLettersHandler implements ICommandHandler<RepublishDeadLettersCommand, RepublishResult> {
  constructor(private readonly deadLetters: DeadLetterService) {}

  execute(command: RepublishDeadLettersCommand): Promise<RepublishResult> {
    return this.deadLetters.republish([...new Set(command.ids)]);
  }
}
