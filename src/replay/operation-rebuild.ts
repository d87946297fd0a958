import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { afterOperation, readEventsByOperation } from './event-log-reader';
import { foldOperations } from './operation-folder';
import { readProjectionLayout, upsertProjectionRows, type ProjectionRow } from './projection-row';
import { LIVE_TABLE } from './shadow-table';
import { selectRows } from './sql';

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
 * Rebuilds one operation's projection in place, in one transaction that locks
 * its row (inserting a placeholder first if it is missing, then FOR UPDATE):
 * appends to it wait, the fold sees every event they committed before, and an
 * append that read the row earlier is refused by its "no head moved" check.
 */
@Injectable()
export class OperationRebuilder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async rebuild(operationId: string): Promise<OperationRebuildResult> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const layout = await readProjectionLayout(manager);
      const created = await selectRows<{ id: string }>(
        manager,
        `INSERT INTO ${LIVE_TABLE} (id, version, status, state, memo, created_at, updated_at, last_position)
         VALUES ($1, 0, 'pending', '{}', '{}', now(), now(), 0) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [operationId],
      );
      const [locked] = await selectRows<{ version: number }>(
        manager,
        `SELECT version FROM ${LIVE_TABLE} WHERE id = $1 FOR UPDATE`,
        [operationId],
      );
      const versionBefore = created.length > 0 ? null : locked.version;

      let row: ProjectionRow | null = null;
      const pages = readEventsByOperation(manager, {
        after: afterOperation(null),
        upTo: Number.MAX_SAFE_INTEGER,
        operationIds: [operationId],
        pageSize: PAGE_SIZE,
      });
      for await (const folded of foldOperations(pages)) row = folded.row;

      if (row === null) {
        await manager.query(`DELETE FROM ${LIVE_TABLE} WHERE id = $1`, [operationId]);
        return { operationId, versionBefore, versionAfter: null, changed: versionBefore !== null };
      }
      const written = await upsertProjectionRows(manager, LIVE_TABLE, layout, [row]);
      return { operationId, versionBefore, versionAfter: row.version, changed: written > 0 };
    });
  }
}
