import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { failpoints } from '../common/failpoints';
import type { OperationEvent, StoredEvent } from '../envelope/operation-event';
import { eventDigest } from '../envelope/event-digest';
import type { AppendOutcome } from './append-outcome';
import { foldAppended } from './append-fold';
import { planAppend, withPositions } from './append-plan';
import { lockHeads, readAppendState, writeAppend } from './append-statements';
import type { FeedCursor } from '../contract/feed-cursor';
import type { GlobalPosition } from './global-position';
import {
  type FeedEvent,
  type FeedLag,
  feedCursorAtPosition,
  readFeedHead,
  readFeedLag,
  readFeedPage,
} from './log/event-feed';
import { CANONICAL_TIME_SQL, STORED_EVENT_COLUMNS, type StoredEventRow, toStoredEvent } from './log/stored-event-row';
import type { SqlRunner } from './sql';
import { isWriteConflict } from './transient-errors';

export type { AppendOutcome } from './append-outcome';
export type { FeedEvent, FeedLag } from './log/event-feed';
// For tests that hold the lock to make appends queue behind it.
export { APPEND_GATE_LOCK_KEY } from './append-statements';

export interface AppendOptions {
  /**
   * Sizes of consecutive all-or-nothing units (HTTP requests, each alone or several merged into one
   * append): a unit with a rejected event stores nothing and each of its outcomes is that rejection;
   * the units are decided as if appended alone, one after another (see planAppend). Without it,
   * every event is decided on its own (Kafka).
   */
  units?: readonly number[];
}

/** A stage event of an operation, with only what a timeline's attempts need. */
export interface StoredStageEvent {
  id: string;
  type: 'stage.started' | 'stage.completed' | 'stage.failed' | 'stage.skipped';
  stage: string;
  source: string;
  /** Canonical time (UTC, six fractional digits). */
  time: string;
  /** A failure's `error`; null otherwise. */
  error: unknown;
}

/** The ids an append stored, for a failpoint's report. */
const appendedIds = (outcomes: AppendOutcome[]) =>
  outcomes.filter((o) => o.status === 'appended').map((o) => o.eventId);

/** How often an append is tried when another writer changed what it read (see opledger_append_events). */
const APPEND_CONFLICT_ATTEMPTS = 5;

/**
 * The event log: append-only, versioned per operation, idempotent by event id,
 * with the projection updated in the same transaction as the append; and the
 * reads of the log that the API, the watch streams and the health check need.
 */
@Injectable()
export class EventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends a batch of events (any operations, any order) atomically:
   * already-stored ids with the same content digest are reported as
   * duplicates, with another digest as rejected (`id_conflict`), `expectedVersion`
   * mismatches as rejected, the rest get the next versions of their operation;
   * each touched operation's projection is written once.
   *
   * Optimistic first: the heads are read, the events folded onto them here,
   * and one server-side call writes everything if no head changed in between.
   * If one did (a race between instances, or HTTP writers on one operation),
   * the append is tried again with the heads locked while they are read.
   */
  async append(events: readonly OperationEvent[], options: AppendOptions = {}): Promise<AppendOutcome[]> {
    if (events.length === 0) return [];
    const digests = events.map(eventDigest);
    try {
      if (failpoints.on) await failpoints.reach('append.optimistic');
      return await this.tryAppend(this.dataSource, events, digests, options);
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
    }
    // Contended: from now on the heads are read under row locks, so only two writers creating the
    // same new operation can still collide, and then the operation exists for the next attempt.
    for (let attempt = 2; ; attempt += 1) {
      try {
        return await this.dataSource.transaction('READ COMMITTED', async (manager) => {
          await lockHeads(manager, [...new Set(events.map((e) => e.operationId))]);
          const outcomes = await this.tryAppend(manager, events, digests, options);
          // Only a transaction that writes events is reached (like append.before-write): one that found
          // every event already stored, such as a chunk delivered again after a crash, has nothing to lose.
          if (failpoints.on && appendedIds(outcomes).length > 0) {
            await failpoints.reach('append.in-transaction', () => ({ events: appendedIds(outcomes) }));
          }
          return outcomes;
        });
      } catch (error) {
        if (attempt >= APPEND_CONFLICT_ATTEMPTS || !isWriteConflict(error)) throw error;
      }
    }
  }

  /** Read → plan (pure: planAppend, foldAppended) → write. */
  private async tryAppend(
    db: SqlRunner,
    events: readonly OperationEvent[],
    digests: readonly string[],
    options: AppendOptions,
  ): Promise<AppendOutcome[]> {
    const { heads, stored } = await readAppendState(
      db,
      [...new Set(events.map((e) => e.operationId))],
      events.map((e) => e.id),
    );
    const { outcomes, toInsert } = planAppend(
      events,
      options.units,
      new Map([...heads].map(([id, head]) => [id, head.version])),
      stored,
      digests,
    );
    if (toInsert.length === 0) return outcomes;
    const { projections, activity } = foldAppended(heads, toInsert);
    if (failpoints.on) await failpoints.reach('append.before-write', () => ({ events: toInsert.map((e) => e.id) }));
    const positions = await writeAppend(db, { heads, toInsert, projections, activity });
    return withPositions(outcomes, positions);
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
   * The stage events of an operation (up to a version; null: all), in version order, with only what
   * the attempts need (no payload beyond a failure's error), from the operation's (operation_id,
   * version) index: the cost grows with this operation's history, not the log's.
   */
  async readStageEvents(operationId: string, atVersion: number | null): Promise<StoredStageEvent[]> {
    const rows: {
      event_id: string;
      type: StoredStageEvent['type'];
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
      [operationId, atVersion],
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

  /** The global feed after `after`, in feed order (see log/event-feed.ts): safe to poll. */
  readFeed(after: FeedCursor, limit: number): Promise<FeedEvent[]> {
    return readFeedPage(this.dataSource, after, limit);
  }

  /** "Now" on the feed: the cursor of the last event it shows (the start for an empty log). */
  feedHead(): Promise<FeedCursor> {
    return readFeedHead(this.dataSource);
  }

  /** A bare position sent as a feed cursor: after the event stored at it (see feedCursorAtPosition). */
  feedCursorAt(position: GlobalPosition): Promise<FeedCursor> {
    return feedCursorAtPosition(this.dataSource, position);
  }

  /** How far the feed is behind the log (a metric: a long transaction holds the feed back). */
  feedLag(): Promise<FeedLag> {
    return readFeedLag(this.dataSource);
  }

  /** Fails unless the database answers and takes writes (not a standby the address reached mid-failover). */
  async ping(): Promise<void> {
    const [row] = (await this.dataSource.query("SELECT current_setting('transaction_read_only') AS read_only")) as {
      read_only: string;
    }[];
    if (row?.read_only !== 'off') throw new Error('the database is read-only (a standby, or in recovery)');
  }
}
