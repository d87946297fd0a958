import type { Projection } from '../projection/operation-fold';
import type { StageActivityRollup } from '../projection/stage-activity';
import type { PlannedEvent, StoredEventRef } from './append-plan';
import { type GlobalPosition, toGlobalPosition } from './global-position';
import type { SqlRunner } from './sql';

// The append's two statements (and the row locks of a contended retry): what EventStore.append reads
// before planAppend decides, and the one call that writes what was decided. Private to the event store.

// Taken SHARED by every append (inside opledger_append_events, after its row locks on operations) and
// held to commit: appends never wait for each other on it. A rebuild takes it exclusive for a moment
// (EventLogReader.headPosition) to read a head below which every event is committed, and the swap
// holds it exclusive (ProjectionStore.withAppendsHeld). Same key as the old append-order lock.
export const APPEND_GATE_LOCK_KEY = 0x6f706c61; // "opla"

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

export interface Head {
  version: number;
  /** The row's xmin when read: any later write to the row changes it. */
  row: string;
  projection: Projection;
}

export interface AppendRead {
  heads: Map<string, Head>;
  stored: Map<string, StoredEventRef>;
}

/** The heads of the touched operations and the already-stored events among `eventIds`, in one query. */
export async function readAppendState(
  db: SqlRunner,
  operationIds: readonly string[],
  eventIds: readonly string[],
): Promise<AppendRead> {
  const [read] = (await db.query(READ_HEADS_SQL, [JSON.stringify(operationIds), JSON.stringify(eventIds)])) as {
    heads: string;
    stored: string;
  }[];
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
  return { heads, stored };
}

/** Locks the rows of the operations (those that exist), in id order: the contended retry reads under them. */
export async function lockHeads(db: SqlRunner, operationIds: readonly string[]): Promise<void> {
  await db.query(
    `SELECT 1 FROM operations WHERE id = ANY(ARRAY(SELECT json_array_elements_text($1::json))) ORDER BY id FOR UPDATE`,
    [JSON.stringify(operationIds)],
  );
}

export interface AppendWrite {
  heads: ReadonlyMap<string, Head>;
  toInsert: readonly PlannedEvent[];
  projections: readonly Projection[];
  activity: StageActivityRollup;
}

/**
 * One statement, `opledger_append_events` (migrations 1764000400000 … 1764000800000): checks that no
 * head moved since it was read, takes the append gate shared, inserts the events (each with its
 * transaction id, for the feed) and writes each projection row and the rollups. Returns the position of each inserted event.
 */
export async function writeAppend(db: SqlRunner, write: AppendWrite): Promise<Map<string, GlobalPosition>> {
  const { heads, toInsert, projections, activity } = write;
  const [written] = (await db.query(
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
      APPEND_GATE_LOCK_KEY,
      JSON.stringify(activity.toWriteRequest()),
    ],
  )) as { appended: string }[];
  const positions = new Map<string, GlobalPosition>();
  for (const [eventId, position] of JSON.parse(written.appended) as [string, string][]) {
    positions.set(eventId, toGlobalPosition(position));
  }
  return positions;
}
