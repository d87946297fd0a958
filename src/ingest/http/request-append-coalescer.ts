import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, type ResolvedConfig } from '../../config/app-config';
import type { OperationEvent } from '../../envelope/operation-event';
import { AppendEventsCommand } from '../../event-store/commands/append-events.command';
import { Coalescer } from '../append-coalescer';
import { type RequestAppendResult, splitByRequest } from './request-outcomes';

/**
 * Group commit for HTTP appends: the requests that arrive while appends are
 * running are merged into the next one, each request an all-or-nothing unit
 * of it (its own expectedversion / If-Match checks, its own duplicates, its own
 * refusal), decided as if the requests had been appended alone one after
 * another. Each request is answered when the append holding it has committed,
 * so a read after the answer sees its events.
 */
@Injectable()
export class RequestAppendCoalescer {
  private readonly coalescer: Coalescer<OperationEvent[], RequestAppendResult>;
  private unanswered = 0;

  constructor(commands: CommandBus, @Inject(APP_CONFIG) config: ResolvedConfig) {
    const appendUnits = async (requests: OperationEvent[][]) => {
      const sizes = requests.map((events) => events.length);
      const outcomes = await commands.execute(new AppendEventsCommand(requests.flat(), { units: sizes }));
      return splitByRequest(outcomes, sizes);
    };
    this.coalescer = new Coalescer(
      {
        size: (events) => events.length,
        merged: appendUnits,
        alone: async (events) => (await appendUnits([events]))[0],
        isolate: 'all-at-once',
      },
      { maxEvents: config.ingestBatchMaxEvents, maxInFlight: 2 },
    );
  }

  /** Appends one request's events (at least one) all or nothing. */
  async append(events: OperationEvent[]): Promise<RequestAppendResult> {
    this.unanswered += 1;
    try {
      return await this.coalescer.submit(events);
    } finally {
      this.unanswered -= 1;
    }
  }

  /** Requests handed in whose append has not finished yet (waiting or in flight). */
  get pending(): number {
    return this.unanswered;
  }
}
