import { Injectable } from '@nestjs/common';
import { afterOperation, EventLogReader } from '../event-store/log/event-log-reader';
import type { ProjectionRow } from '../event-store/projection/projection-rows';
import { ProjectionStore } from '../event-store/projection/projection-store';
import { foldOperations } from './projection-rows-from-log';

export interface OperationRebuildResult {
  operationId: string;
  /** The live version before (null: the operation had no projection row). */
  versionBefore: number | null;
  /** The version after (null: the log has no events for it, and no row is left). */
  versionAfter: number | null;
  /** Whether the live row was wrong and has been replaced. */
  changed: boolean;
}

const PAGE_SIZE = 1000;

/**
 * Rebuilds one operation's projection in place, with its row locked
 * (ProjectionStore.withOperationLocked): appends to it wait, the fold sees
 * every event they committed before, and an append that read the row earlier
 * is refused by its "no head moved" check.
 */
@Injectable()
export class OperationRebuilder {
  constructor(
    private readonly projections: ProjectionStore,
    private readonly log: EventLogReader,
  ) {}

  async rebuild(operationId: string): Promise<OperationRebuildResult> {
    return this.projections.withOperationLocked(operationId, async (locked) => {
      let row: ProjectionRow | null = null;
      const pages = this.log.byOperation(
        {
          after: afterOperation(null),
          upTo: Number.MAX_SAFE_INTEGER,
          operationIds: [operationId],
          pageSize: PAGE_SIZE,
        },
        locked.db,
      );
      for await (const folded of foldOperations(pages)) row = folded.row;
      const changed = await this.projections.replaceOperation(locked, operationId, row);
      return { operationId, versionBefore: locked.versionBefore, versionAfter: row?.version ?? null, changed };
    });
  }
}
