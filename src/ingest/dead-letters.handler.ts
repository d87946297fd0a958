import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { canonicalTimeOfDate } from '../envelope/event-time';
import { DeadLetterRecord } from '../event-store/event-store.entities';
import { toGlobalPosition } from '../event-store/global-position';
import { type DeadLetterView, ListDeadLettersQuery } from './dead-letters.query';

function payloadView(payload: Buffer | null): Pick<DeadLetterView, 'payload' | 'payloadEncoding'> {
  if (payload === null) return { payload: null, payloadEncoding: null };
  const text = payload.toString('utf8');
  return Buffer.from(text, 'utf8').equals(payload)
    ? { payload: text, payloadEncoding: 'utf8' }
    : { payload: payload.toString('base64'), payloadEncoding: 'base64' };
}

@QueryHandler(ListDeadLettersQuery)
export class ListDeadLettersHandler implements IQueryHandler<ListDeadLettersQuery> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(query: ListDeadLettersQuery) {
    const builder = this.dataSource
      .getRepository(DeadLetterRecord)
      .createQueryBuilder('d')
      .orderBy('d.id', 'DESC')
      .limit(query.limit + 1);
    if (query.beforeId !== null) builder.where('d.id < :beforeId', { beforeId: query.beforeId });
    const rows = await builder.getMany();
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
        key: row.recordKey,
        headers: row.headers,
        ...payloadView(row.payload),
        eventId: row.eventId,
        operationId: row.operationId,
        createdAt: canonicalTimeOfDate(row.createdAt),
        republishedAt: row.republishedAt ? canonicalTimeOfDate(row.republishedAt) : null,
        republishCount: row.republishCount,
      })),
      nextBeforeId: rows.length > query.limit ? toGlobalPosition(page[page.length - 1].id) : null,
    };
  }
}
