import type { GlobalPosition } from '../event-store/global-position';
import { afterOperation, type EventLogReader } from '../event-store/log/event-log-reader';
import type { ProjectionRow } from '../event-store/projection/projection-rows';
import type { ShadowProjection } from '../event-store/projection/shadow-projection';
import { LogActivity } from '../event-store/read-models/read-model-tables';
import type { SqlRunner } from '../event-store/sql';
import { foldOperations } from './projection-rows-from-log';

export interface CatchUpResult {
  operations: number;
  events: number;
}

/**
 * Brings `shadow` up to `upTo`: every operation with an event in (after, upTo]
 * is folded again from its first event, up to `upTo`, and its row replaced.
 * Refolding whole operations (rather than applying only the new events) makes
 * the result independent of what the row held before, so running it twice, or
 * after an interruption, is harmless. The rollups are additive: only the events
 * in (after, upTo] are added to them, so a caller that may repeat a catch-up
 * runs it in one transaction (`db`) with the checkpoint that records `upTo`.
 */
export async function catchUp(
  log: EventLogReader,
  shadow: ShadowProjection,
  after: GlobalPosition,
  upTo: GlobalPosition,
  pageSize: number,
  db?: SqlRunner,
): Promise<CatchUpResult> {
  const result: CatchUpResult = { operations: 0, events: 0 };
  if (upTo <= after) return result;
  for await (const operationIds of log.touchedOperations(after, upTo, pageSize, db)) {
    const pages = log.byOperation({ after: afterOperation(null), upTo, operationIds, pageSize }, db);
    let batch: ProjectionRow[] = [];
    const activity = new LogActivity();
    for await (const folded of foldOperations(pages, { log: activity, after })) {
      batch.push(folded.row);
      result.operations += 1;
      result.events += folded.events;
      if (batch.length >= pageSize) {
        await shadow.write(batch, { db });
        batch = [];
      }
    }
    await shadow.write(batch, { db, activity });
  }
  return result;
}
