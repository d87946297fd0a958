import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CANONICAL_TIME_SQL } from '../../event-store/event-store.service';
import type { StageEventFact } from '../stage-attempts';
import { GetStageEventsQuery } from './get-stage-events.query';

@QueryHandler(GetStageEventsQuery)
export class GetStageEventsHandler implements IQueryHandler<GetStageEventsQuery, StageEventFact[]> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Only what the attempts need (no payload beyond a failure's error), from the operation's
   * (operation_id, version) index: the cost grows with this operation's history, not the log's.
   */
  async execute(query: GetStageEventsQuery): Promise<StageEventFact[]> {
    const rows: {
      event_id: string;
      type: StageEventFact['type'];
      stage: string;
      source: string;
      time: string;
      error: unknown;
    }[] = await this.dataSource.query(
      `SELECT event_id, type, data->>'stage' AS stage, source, ${CANONICAL_TIME_SQL} AS time,
                CASE WHEN type = 'stage.failed' THEN data->'error' END AS error
           FROM operation_events
          WHERE operation_id = $1 AND ($2::int IS NULL OR version <= $2)
            AND type IN ('stage.started', 'stage.completed', 'stage.failed', 'stage.skipped')
          ORDER BY version`,
      [query.operationId, query.atVersion],
    );
    return rows.map((row) => ({
      id: row.event_id,
      type: row.type,
      stage: row.stage,
      source: row.source,
      time: row.time,
      error: row.error ?? null,
    }));
  }
}
