import type { GlobalPosition } from '../event-store/global-position';
import { afterOperation, readEventsByOperation, readTouchedOperations } from './event-log-reader';
import { foldOperations } from './operation-folder';
import { ProjectionLayout, ProjectionRow, upsertProjectionRows } from './projection-row';
import type { SqlRunner } from './sql';
import { addLogActivity, LogActivity } from './read-model-tables';

export interface CatchUpResult {
  operations: number;
  events: number;
}

/**
 * Brings `table` up to `upTo`: every operation with an event in (after, upTo]
 * is folded again from its first event, up to `upTo`, and its row replaced.
 * Refolding whole operations (rather than applying only the new events) makes
 * the result independent of what the row held before, so running it twice, or
 * after an interruption, is harmless. The rollups are additive: only the events
 * in (after, upTo] are added to them, so a caller that may repeat a catch-up
 * runs it in one transaction with the checkpoint that records `upTo`.
 */
export async function catchUp(
  db: SqlRunner,
  table: string,
  layout: ProjectionLayout,
  after: GlobalPosition,
  upTo: GlobalPosition,
  pageSize: number,
): Promise<CatchUpResult> {
  const result: CatchUpResult = { operations: 0, events: 0 };
  if (upTo <= after) return result;
  for await (const operationIds of readTouchedOperations(db, after, upTo, pageSize)) {
    const pages = readEventsByOperation(db, { after: afterOperation(null), upTo, operationIds, pageSize });
    let batch: ProjectionRow[] = [];
    const activity = new LogActivity();
    for await (const folded of foldOperations(pages, { log: activity, after })) {
      batch.push(folded.row);
      result.operations += 1;
      result.events += folded.events;
      if (batch.length >= pageSize) {
        await upsertProjectionRows(db, table, layout, batch);
        batch = [];
      }
    }
    await upsertProjectionRows(db, table, layout, batch);
    await addLogActivity(db, table, activity);
  }
  return result;
}
