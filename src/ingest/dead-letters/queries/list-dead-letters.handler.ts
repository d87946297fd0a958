import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { canonicalTimeOfDate } from '../../../envelope/event-time';
import { toGlobalPosition } from '../../../event-store/global-position';
import { DeadLetterStore } from '../dead-letter-store';
import { type DeadLetterView, ListDeadLettersQuery } from './list-dead-letters.query';

function payloadView(payload: Buffer | null): Pick<DeadLetterView, 'payload' | 'payloadEncoding'> {
  if (payload === null) return { payload: null, payloadEncoding: null };
  const text = payload.toString('utf8');
  return Buffer.from(text, 'utf8').equals(payload)
    ? { payload: text, payloadEncoding: 'utf8' }
    : { payload: payload.toString('base64'), payloadEncoding: 'base64' };
}

@QueryHandler(ListDeadLettersQuery)
export class ListDeadLettersHandler implements IQueryHandler<ListDeadLettersQuery> {
  constructor(private readonly store: DeadLetterStore) {}

  async execute(query: ListDeadLettersQuery) {
    const rows = await this.store.list(query.beforeId, query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row): DeadLetterView => ({
        id: toGlobalPosition(row.id),
        reason: row.reason,
        detail: row.detail,
        channel: row.channel,
        topic: row.topic,
        partition: row.partition,
        offset: row.offset,
        key: row.record_key,
        headers: row.headers,
        ...payloadView(row.payload),
        eventId: row.event_id,
        operationId: row.operation_id,
        createdAt: canonicalTimeOfDate(row.created_at),
        republishedAt: row.republished_at ? canonicalTimeOfDate(row.republished_at) : null,
        republishCount: row.republish_count,
      })),
      nextBeforeId: rows.length > query.limit ? toGlobalPosition(page[page.length - 1].id) : null,
    };
  }
}
