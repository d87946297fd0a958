import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { StoredEvent } from '../../envelope/operation-event';
import { APPEND_GATE_LOCK_KEY } from '../append-statements';
import { type GlobalPosition, toGlobalPosition } from '../global-position';
import { selectRows, type SqlRunner, toCount } from '../sql';
import {
  SCANNED_EVENT_COLUMNS,
  STORED_EVENT_COLUMNS,
  type StoredEventRow,
  toScannedEvents,
  toStoredEvent,
} from './stored-event-row';

/** Where a stream ordered by (operation_id, version) resumes: strictly after this event. */
export interface OperationCursor {
  operationId: string;
  version: number;
}

/** Sorts before every event: operation ids are at least one character long. */
const START: OperationCursor = { operationId: '', version: 0 };
const MAX_VERSION = 2_147_483_647;

/** Resumes after every event of `operationId`. */
export function afterOperation(operationId: string | null): OperationCursor {
  return operationId === null ? START : { operationId, version: MAX_VERSION };
}

export interface OperationStreamOptions {
  after: OperationCursor;
  /** Only events at or below this position: the stream is a consistent cut of the log. */
  upTo: GlobalPosition;
  /** Only these operations (the catch-up refolds). */
  operationIds?: readonly string[];
  /** Only operations whose id sorts at or before this one (one range of a parallel bulk pass). */
  operationIdAtMost?: string;
  pageSize: number;
}

/**
 * The highest position visible to `db`'s snapshot. Appends run in parallel, so an event below it
 * may still be uncommitted: this is a head to compare with, or a final one only where no append can
 * be in flight (inside ProjectionStore.withAppendsHeld). For a horizon use readStableHeadPosition.
 */
export async function readHeadPosition(db: SqlRunner): Promise<GlobalPosition> {
  const [row] = await selectRows<{ head: string | null }>(db, 'SELECT max(position) AS head FROM operation_events');
  return toGlobalPosition(row.head ?? 0);
}

/** Longest a barrier waits for the appends in flight before it gives up (Postgres' lock_timeout). */
const BARRIER_LOCK_TIMEOUT_MS = 30_000;

/**
 * A head position below which every event is committed, and above which every later one will be:
 * a barrier that takes the append gate exclusive for a moment (every append holds it shared from its
 * event insert to its commit), so it waits for the appends in flight, holds new ones back while it
 * reads max(position), and lets them go at once. For rebuild horizons, catch-ups and exports; the
 * feed needs no barrier (log/event-feed.ts).
 */
export async function readStableHeadPosition(dataSource: DataSource): Promise<GlobalPosition> {
  return dataSource.transaction('READ COMMITTED', async (manager) => {
    await manager.query(`SET LOCAL lock_timeout = ${BARRIER_LOCK_TIMEOUT_MS}`);
    await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_GATE_LOCK_KEY]);
    // A new statement, so a new snapshot: it sees everything the appends waited for committed.
    return readHeadPosition(manager);
  });
}

/**
 * The log scanned in pages, for rebuilds, verifies and exports. Every method
 * takes an optional `db`: a transaction of ProjectionStore.transaction or
 * withAppendsHeld, when the scan must see what that transaction sees.
 */
@Injectable()
export class EventLogReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The log ordered by (operation_id, version), in pages. Keyset pagination on
   * the (operation_id, version) unique index rather than a server-side cursor:
   * each page is a short query, so a rebuild of any length holds no transaction
   * open (vacuum keeps working) and resumes from any operation boundary.
   */
  async *byOperation(options: OperationStreamOptions, db: SqlRunner = this.dataSource): AsyncGenerator<StoredEvent[]> {
    const bounds: unknown[] = [];
    let filter = '';
    if (options.operationIds) {
      bounds.push(options.operationIds);
      filter += ` AND operation_id = ANY($${4 + bounds.length}::text[])`;
    }
    if (options.operationIdAtMost !== undefined) {
      bounds.push(options.operationIdAtMost);
      filter += ` AND operation_id <= $${4 + bounds.length}`;
    }
    // Times printed by Postgres and made canonical here, unless the server prints them in another form.
    let scanned = true;
    const readPage = async (after: OperationCursor): Promise<StoredEvent[]> => {
      const read = (columns: string) =>
        selectRows<StoredEventRow>(
          db,
          `SELECT ${columns} FROM operation_events
           WHERE (operation_id, version) > ($1, $2) AND position <= $3${filter}
           ORDER BY operation_id, version LIMIT $4`,
          [after.operationId, after.version, options.upTo, options.pageSize, ...bounds],
        );
      if (scanned) {
        const events = toScannedEvents(await read(SCANNED_EVENT_COLUMNS));
        if (events) return events;
        scanned = false;
      }
      return (await read(STORED_EVENT_COLUMNS)).map(toStoredEvent);
    };
    let page = readPage(options.after);
    for (;;) {
      const events = await page;
      if (events.length === 0) return;
      const full = events.length === options.pageSize;
      if (full) {
        // Read-ahead: Postgres reads the next page while the caller folds and writes this one.
        const last = events[events.length - 1];
        page = readPage({ operationId: last.operationId, version: last.version });
        // A caller that stops early leaves the read-ahead unobserved; its failure is of no interest then.
        page.catch(() => undefined);
      }
      yield events;
      if (!full) return;
    }
  }

  /** The log in position order after `after`, up to `upTo` (export). */
  async *byPosition(after: GlobalPosition, upTo: GlobalPosition, pageSize: number): AsyncGenerator<StoredEvent[]> {
    let cursor = after;
    for (;;) {
      const rows = await selectRows<StoredEventRow>(
        this.dataSource,
        `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events
         WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
        [cursor, upTo, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map(toStoredEvent);
      if (rows.length < pageSize) return;
      cursor = toGlobalPosition(rows[rows.length - 1].position);
    }
  }

  /**
   * Without `db`: a head below which every event is committed (readStableHeadPosition, a brief
   * barrier). With `db`: the head that transaction sees, final only if it holds appends back
   * (ProjectionStore.withAppendsHeld).
   */
  headPosition(db?: SqlRunner): Promise<GlobalPosition> {
    return db ? readHeadPosition(db) : readStableHeadPosition(this.dataSource);
  }

  /** How many events have a position in (after, upTo]. */
  async countEvents(after: GlobalPosition, upTo: GlobalPosition): Promise<number> {
    const [count] = await selectRows<{ total: string }>(
      this.dataSource,
      'SELECT count(*) AS total FROM operation_events WHERE position > $1 AND position <= $2',
      [after, upTo],
    );
    return toCount(count.total);
  }

  /**
   * About `target` operation ids drawn from the events at or below `upTo` whose operation id sorts
   * after `after`, in the database's id order (duplicates kept: an operation with many events is
   * drawn often). Block sampling (TABLESAMPLE SYSTEM) reads only the sampled pages of the log, so it
   * costs little whatever the log's size; `eventsTotal` (about how many events qualify) sets its rate.
   */
  async sampleOperationIds(
    after: string,
    upTo: GlobalPosition,
    eventsTotal: number,
    target: number,
  ): Promise<string[]> {
    const percent = eventsTotal <= target ? 100 : Math.max((100 * target) / eventsTotal, 0.0001);
    const rows = await selectRows<{ operation_id: string }>(
      this.dataSource,
      `SELECT operation_id FROM operation_events TABLESAMPLE SYSTEM ($1)
       WHERE position <= $2 AND operation_id > $3 ORDER BY operation_id`,
      [percent, upTo, after],
    );
    return rows.map((r) => r.operation_id);
  }

  /** Ids of the operations with events in (after, upTo], in id order, a page at a time. */
  async *touchedOperations(
    after: GlobalPosition,
    upTo: GlobalPosition,
    pageSize: number,
    db: SqlRunner = this.dataSource,
  ): AsyncGenerator<string[]> {
    let lastId = '';
    for (;;) {
      const rows = await selectRows<{ operation_id: string }>(
        db,
        `SELECT DISTINCT operation_id FROM operation_events
         WHERE position > $1 AND position <= $2 AND operation_id > $3
         ORDER BY operation_id LIMIT $4`,
        [after, upTo, lastId, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => r.operation_id);
      if (rows.length < pageSize) return;
      lastId = rows[rows.length - 1].operation_id;
    }
  }
}
