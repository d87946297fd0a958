import { Command } from '@nestjs/cqrs';
import type { RepublishResult } from '../dead-letter.service';

/** Re-publish chosen dead letters to the main topic after the cause was fixed. */
export class RepublishDeadLettersCommand extends Command<RepublishResult> {
  constructor(readonly ids: readonly number[]) {
    super();
  }
}
