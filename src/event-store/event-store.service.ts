import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { failpoints } from '../common/failpoints';
import type { OperationEvent, StoredEvent } from '../envelope/operation-event';
import { eventDigest } from '../envelope/event-digest';
import { applyEvent, emptyProjection, Projection } from '../projection/operation-fold';
import { StageActivityRollup, stageEventActivity, stageStateOf } from '../projection/stage-activity';
import type { AppendOutcome } from './append-outcome';
import { planAppend, withPositions } from './append-plan';
import { GlobalPosition, toGlobalPosition } from './global-position';
import { isWriteConflict } from './transient-errors';

export type { AppendOutcome } from './append-outcome';

// Held from the first event insert to commit (inside opledger_append_events): positions then become
// visible in the order they were assigned, which is what makes the global feed gap-safe.
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
  /**
   * Sizes of consecutive all-or-nothing units (HTTP requests, each alone or several merged into one
   * append): a unit with a rejected event stores nothing and each of its outcomes is that rejection;
   * the units are decided as if appended alone, one after another (see planAppend). Without it,
   * every event is decided on its own (Kafka).
   */
  units?: readonly number[];
}

/** The ids an append stored, for a failpoint's report. */
const appendedIds = (outcomes: AppendOutcome[]) =>
  outcomes.filter((o) => o.status === 'appended').map((o) => o.eventId);

/** How often an append is tried when another writer changed what it read (see opledger_append_events). */
const APPEND_CONFLICT_ATTEMPTS = 5;

/** What an append reads first: the heads it folds onto and the events already stored. */
const READ_HEADS_SQL = `
  SELECT
    (SELECT coalesce(json_agg(json_build_array(o.id, o.version, o.xmin::text, o.state, o.memo)), '[]'::json)
     FROM operations o WHERE o.id = ANY(ARRAY(SELECT json_array_elements_text($1::json))) AND o.version > 0)::text AS heads,
    (SELECT coalesce(json_agg(json_build_array(e.event_id, e.operation_id, e.version, e.position::text,
                                               encode(e.digest, 'base64'))), '[]'::json)
     FROM operation_events e WHERE e.event_id = ANY(ARRAY(SELECT json_array_elements_text($2::json))))::text AS stored`;

type HeadTuple = [id: string, version: number, row: string, state: Projection['state'], memo: Projection['memo']];
type StoredTuple = [eventId: string, operationId: string, version: number, position: string, digest: string | null];

interface Head {
  version: number;
  /** The row's xmin when read: any later write to the row changes it. */
  row: string;
  projection: Projection;
}

/**
 * Folds each operation's new events onto the head that was read: one projection
 * per touched operation, and what the events add to the stage rollups (each
 * judged against its stage as it was just before it, as a rebuild judges it).
 */
function foldProjections(
  heads: Map<string, Head>,
  appended: readonly (OperationEvent & { version: number })[],
): { projections: Projection[]; activity: StageActivityRollup } {
  const drafts = new Map<string, Projection>();
  const activity = new StageActivityRollup();
  for (const event of appended) {
    let draft = drafts.get(event.operationId);
    if (!draft) {
      // The head was parsed for this append alone, so it can be folded onto in place.
      draft = heads.get(event.operationId)?.projection ?? emptyProjection(event.operationId, event);
      drafts.set(event.operationId, draft);
    }
    const contribution = stageEventActivity(stageStateOf(draft.state.stages, event), event);
    if (contribution) activity.add(contribution);
    applyEvent(draft, event);
  }
  return { projections: [...drafts.values()], activity };
}

/**
 * The event log: append-only, versioned per operation, idempotent by event id,
 * with the projection updated in the same transaction as the append.
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
      return await this.tryAppend(events, digests, options, (sql, parameters) =>
        this.dataSource.query(sql, parameters),
      );
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
    }
    // Contended: from now on the heads are read under row locks, so only two writers creating the
    // same new operation can still collide, and then the operation exists for the next attempt.
    for (let attempt = 2; ; attempt += 1) {
      try {
        return await this.dataSource.transaction('READ COMMITTED', async (manager) => {
          await manager.query(
            `SELECT 1 FROM operations WHERE id = ANY(ARRAY(SELECT json_array_elements_text($1::json))) ORDER BY id FOR UPDATE`,
            [JSON.stringify([...new Set(events.map((e) => e.operationId))])],
          );
          const outcomes = await this.tryAppend(events, digests, options, (sql, parameters) =>
            manager.query(sql, parameters),
          );
          if (failpoints.on) await failpoints.reach('append.in-transaction', () => ({ events: appendedIds(outcomes) }));
          return outcomes;
        });
      } catch (error) {
        if (attempt >= APPEND_CONFLICT_ATTEMPTS || !isWriteConflict(error)) throw error;
      }
    }
  }

  private async tryAppend(
    events: readonly OperationEvent[],
    digests: readonly string[],
    options: AppendOptions,
    query: (sql: string, parameters: unknown[]) => Promise<unknown>,
  ): Promise<AppendOutcome[]> {
    const operationIds = [...new Set(events.map((e) => e.operationId))];
    const [read] = (await query(READ_HEADS_SQL, [
      JSON.stringify(operationIds),
      JSON.stringify(events.map((e) => e.id)),
    ])) as { heads: string; stored: string }[];
    const heads = new Map<string, Head>(
      (JSON.parse(read.heads) as HeadTuple[]).map(([id, version, row, state, memo]) => [
        id,
        { version, row, projection: { state, memo } },
      ]),
    );
    const stored = new Map(
      (JSON.parse(read.stored) as StoredTuple[]).map(([eventId, operationId, version, position, digest]) => [
        eventId,
        { operationId, version, position: toGlobalPosition(position), digest },
      ]),
    );

    const { outcomes, toInsert } = planAppend(
      events,
      options.units,
      new Map([...heads].map(([id, head]) => [id, head.version])),
      stored,
      digests,
    );
    const positions = new Map<string, GlobalPosition>();
    if (toInsert.length > 0) {
      const { projections, activity } = foldProjections(heads, toInsert);
      if (failpoints.on) await failpoints.reach('append.before-write', () => ({ events: toInsert.map((e) => e.id) }));
      const [written] = (await query(
        'SELECT opledger_append_events($1::json, $2::json, $3::json, $4, $5::json)::text AS appended',
        [
          JSON.stringify(
            projections.map(({ state }) => {
              const head = heads.get(state.id);
              return { id: state.id, base_version: head?.version ?? 0, base_row: head?.row ?? null };
            }),
          ),
          JSON.stringify(
            toInsert.map((e) => ({
              operation_id: e.operationId,
              version: e.version,
              event_id: e.id,
              type: e.type,
              source: e.source,
              occurred_at: e.time,
              data: e.data,
              digest: e.digest,
            })),
          ),
          JSON.stringify(
            projections.map(({ state, memo }) => ({
              id: state.id,
              version: state.version,
              status: state.status,
              state,
              memo,
              created_at: state.createdAt,
              updated_at: state.updatedAt,
            })),
          ),
          APPEND_ORDER_LOCK_KEY,
          JSON.stringify(activity.toWriteRequest()),
        ],
      )) as { appended: string }[];
      for (const [eventId, position] of JSON.parse(written.appended) as [string, string][]) {
        positions.set(eventId, toGlobalPosition(position));
      }
    }

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
