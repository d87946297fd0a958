import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { OperationEvent, StoredEvent } from '../envelope/operation-event';
import type { Rejection } from '../envelope/parse-cloud-event';
import { applyEvent, cloneProjection, emptyProjection, Projection } from '../projection/operation-fold';
import { GlobalPosition, toGlobalPosition } from './global-position';

export type AppendOutcome =
  | { status: 'appended'; eventId: string; operationId: string; version: number; position: GlobalPosition }
  | { status: 'duplicate'; eventId: string; operationId: string; version: number; position: GlobalPosition }
  | { status: 'rejected'; eventId: string; operationId: string; rejection: Rejection; headVersion: number };

// Held from the first event insert to commit: positions then become visible in
// the order they were assigned, which is what makes the global feed gap-safe.
export const APPEND_ORDER_LOCK_KEY = 0x6f706c61; // "opla"

/** SQL for the canonical event time (UTC, microseconds), the form the fold compares. */
export const CANONICAL_TIME_SQL = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CANONICAL_RECORDED_SQL = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const STORED_EVENT_COLUMNS = `position, operation_id, version, event_id, type, source,
  ${CANONICAL_TIME_SQL} AS time, ${CANONICAL_RECORDED_SQL} AS recorded_at, data`;

export interface StoredEventRow {
  position: string;
  operation_id: string;
  version: number;
  event_id: string;
  type: string;
  source: string;
  time: string;
  recorded_at: string;
  data: Record<string, unknown> | null;
}

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return {
    id: row.event_id,
    operationId: row.operation_id,
    version: row.version,
    position: toGlobalPosition(row.position),
    type: row.type,
    source: row.source,
    time: row.time,
    recordedAt: row.recorded_at,
    data: row.data,
    expectedVersion: null,
  };
}

export interface AppendOptions {
  /** All or nothing: if any event is rejected, nothing of the batch is stored (HTTP appends). */
  atomic?: boolean;
}

/** Thrown by an atomic append that was refused; the transaction has been rolled back. */
export class AppendRejectedError extends Error {
  constructor(readonly rejected: Extract<AppendOutcome, { status: 'rejected' }>) {
    super(rejected.rejection.detail);
    this.name = 'AppendRejectedError';
  }
}

/**
 * Inserts a batch of events and writes the projection row of every operation they touch, in one
 * statement (one round trip under the append-order lock). Each row's first/last position comes
 * from the positions the insert just assigned.
 */
const INSERT_AND_PROJECT_SQL = `
  WITH inserted AS (
    INSERT INTO operation_events (operation_id, version, event_id, type, source, occurred_at, data)
    SELECT operation_id, version, event_id, type, source, occurred_at, data::jsonb
    FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
      AS e(operation_id, version, event_id, type, source, occurred_at, data)
    RETURNING operation_id, event_id, position
  ), spans AS (
    SELECT operation_id, min(position) AS first_position, max(position) AS last_position
    FROM inserted GROUP BY operation_id
  ), projected AS (
    UPDATE operations AS o
    SET version = u.version, status = u.status, state = u.state::jsonb, memo = u.memo::jsonb,
        created_at = u.created_at, updated_at = u.updated_at, last_position = s.last_position, projected_at = now(),
        first_position = COALESCE(o.first_position, s.first_position)
    FROM unnest($8::text[], $9::int[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[])
      AS u(id, version, status, state, memo, created_at, updated_at)
    JOIN spans AS s ON s.operation_id = u.id
    WHERE o.id = u.id
  )
  SELECT event_id, position FROM inserted`;

/** Folds each operation's new events onto its locked state: one projection per touched operation. */
function foldProjections(
  heads: Map<string, LockedOperation>,
  appended: readonly (OperationEvent & { version: number })[],
): Projection[] {
  const drafts = new Map<string, Projection>();
  for (const event of appended) {
    let draft = drafts.get(event.operationId);
    if (!draft) {
      const head = heads.get(event.operationId);
      draft =
        head && head.version > 0
          ? cloneProjection({ state: head.state, memo: head.memo })
          : emptyProjection(event.operationId, event);
      drafts.set(event.operationId, draft);
    }
    applyEvent(draft, event);
  }
  return [...drafts.values()];
}

interface LockedOperation {
  id: string;
  version: number;
  state: Projection['state'];
  memo: Projection['memo'];
}

/**
 * The event log: append-only, versioned per operation, idempotent by event id,
 * with the projection updated in the same transaction as the append.
 */
@Injectable()
export class EventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends a batch of events (any operations, any order) in ONE transaction:
   * already-stored ids are reported as duplicates, `expectedVersion`
   * mismatches as rejected, the rest get the next versions of their operation;
   * each touched operation's projection is written once.
   */
  async append(events: readonly OperationEvent[], options: AppendOptions = {}): Promise<AppendOutcome[]> {
    if (events.length === 0) return [];
    return this.dataSource.transaction('READ COMMITTED', (manager) =>
      this.appendInTransaction(manager, events, options),
    );
  }

  private async appendInTransaction(
    manager: EntityManager,
    events: readonly OperationEvent[],
    options: AppendOptions,
  ): Promise<AppendOutcome[]> {
    const operationIds = [...new Set(events.map((e) => e.operationId))].sort();

    // Placeholder rows let the first events of a new operation take a row lock like any other;
    // they never become visible: those left at version 0 are deleted before commit.
    const created: { id: string }[] = await manager.query(
      `INSERT INTO operations (id, version, status, state, memo, created_at, updated_at, last_position)
       SELECT id, 0, 'pending', '{}', '{}', now(), now(), 0 FROM unnest($1::text[]) AS id
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [operationIds],
    );
    const locked: LockedOperation[] = await manager.query(
      `SELECT id, version, state, memo FROM operations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [operationIds],
    );
    const heads = new Map(locked.map((row) => [row.id, row]));

    const eventIds = events.map((e) => e.id);
    const existing: { event_id: string; operation_id: string; version: number; position: string }[] =
      await manager.query(
        `SELECT event_id, operation_id, version, position FROM operation_events WHERE event_id = ANY($1::text[])`,
        [eventIds],
      );
    const stored = new Map(existing.map((row) => [row.event_id, row]));

    const outcomes: AppendOutcome[] = [];
    const toInsert: (OperationEvent & { version: number })[] = [];
    const nextVersion = new Map(locked.map((row) => [row.id, row.version]));
    const seenInBatch = new Map<string, number>();
    const repeatsInBatch = new Map<number, OperationEvent & { version: number }>();

    for (const event of events) {
      const previous = stored.get(event.id);
      if (previous) {
        outcomes.push({
          status: 'duplicate',
          eventId: event.id,
          operationId: previous.operation_id,
          version: previous.version,
          position: toGlobalPosition(previous.position),
        });
        continue;
      }
      const sameBatchIndex = seenInBatch.get(event.id);
      if (sameBatchIndex !== undefined) {
        // The same id twice in one batch: the second copy reports the first one's version and position.
        repeatsInBatch.set(outcomes.length, toInsert[sameBatchIndex]);
        outcomes.push({
          status: 'duplicate',
          eventId: event.id,
          operationId: event.operationId,
          version: 0,
          position: 0,
        });
        continue;
      }
      const head = nextVersion.get(event.operationId) ?? 0;
      if (event.expectedVersion !== null && event.expectedVersion !== head) {
        outcomes.push({
          status: 'rejected',
          eventId: event.id,
          operationId: event.operationId,
          headVersion: head,
          rejection: {
            reason: 'version_conflict',
            field: 'expectedversion',
            detail: `expectedversion ${event.expectedVersion} does not match the current version ${head} of operation ${event.operationId}`,
          },
        });
        continue;
      }
      nextVersion.set(event.operationId, head + 1);
      seenInBatch.set(event.id, toInsert.length);
      toInsert.push({ ...event, version: head + 1 });
      outcomes.push({
        status: 'appended',
        eventId: event.id,
        operationId: event.operationId,
        version: head + 1,
        position: 0,
      });
    }

    const rejected = outcomes.find((o) => o.status === 'rejected');
    if (options.atomic && rejected?.status === 'rejected') throw new AppendRejectedError(rejected);

    // Placeholders that got no event: nothing below needs positions for this, so it runs before the lock.
    const unused = created.map((row) => row.id).filter((id) => (nextVersion.get(id) ?? 0) === 0);
    if (unused.length > 0) {
      await manager.query(`DELETE FROM operations WHERE id = ANY($1::text[]) AND version = 0`, [unused]);
    }

    const positions = new Map<string, GlobalPosition>();
    if (toInsert.length > 0) {
      // The lock is held until commit and serialises every writer, so all that can be done without
      // positions (the fold, serialising the rows) is done before it; under it runs one statement.
      const projections = foldProjections(heads, toInsert);
      const parameters = [
        toInsert.map((e) => e.operationId),
        toInsert.map((e) => e.version),
        toInsert.map((e) => e.id),
        toInsert.map((e) => e.type),
        toInsert.map((e) => e.source),
        toInsert.map((e) => e.time),
        toInsert.map((e) => (e.data === null ? null : JSON.stringify(e.data))),
        projections.map((p) => p.state.id),
        projections.map((p) => p.state.version),
        projections.map((p) => p.state.status),
        projections.map((p) => JSON.stringify(p.state)),
        projections.map((p) => JSON.stringify(p.memo)),
        projections.map((p) => p.state.createdAt),
        projections.map((p) => p.state.updatedAt),
      ];
      await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_ORDER_LOCK_KEY]);
      const inserted: { event_id: string; position: string }[] = await manager.query(
        INSERT_AND_PROJECT_SQL,
        parameters,
      );
      for (const row of inserted) positions.set(row.event_id, toGlobalPosition(row.position));
    }

    return outcomes.map((outcome, index) => {
      if (outcome.status === 'appended') return { ...outcome, position: positions.get(outcome.eventId) ?? 0 };
      const first = repeatsInBatch.get(index);
      if (first) {
        return {
          ...outcome,
          operationId: first.operationId,
          version: first.version,
          position: positions.get(first.id) ?? 0,
        };
      }
      return outcome;
    });
  }

  async readOperationEvents(operationId: string, fromVersion = 1, limit = 1000): Promise<StoredEvent[]> {
    const rows: StoredEventRow[] = await this.dataSource.query(
      `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events
       WHERE operation_id = $1 AND version >= $2 ORDER BY version LIMIT $3`,
      [operationId, fromVersion, limit],
    );
    return rows.map(toStoredEvent);
  }

  /** The prefix of an operation's history: up to a version, and/or recorded at or before an instant. */
  async readOperationHistoryPrefix(
    operationId: string,
    atVersion: number | null,
    asOf: string | null,
  ): Promise<StoredEvent[]> {
    const rows: StoredEventRow[] = await this.dataSource.query(
      `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events
       WHERE operation_id = $1 AND ($2::int IS NULL OR version <= $2) AND ($3::timestamptz IS NULL OR recorded_at <= $3)
       ORDER BY version`,
      [operationId, atVersion, asOf],
    );
    return rows.map(toStoredEvent);
  }

  /**
   * Events after a global position, in position order. Safe to poll: the
   * append-order lock means no event can later commit below a position already seen.
   */
  async readFeed(after: GlobalPosition, limit: number): Promise<StoredEvent[]> {
    const rows: StoredEventRow[] = await this.dataSource.query(
      `SELECT ${STORED_EVENT_COLUMNS} FROM operation_events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit],
    );
    return rows.map(toStoredEvent);
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
