/**
 * The read models beside the projection (migration 1764000500000) as a rebuild
 * sees them: each live table has a shadow twin named after the shadow
 * projection table, built with it and swapped in with it.
 *
 * - Row-derived (counters, stage index): filled set-based from the shadow once
 *   its bulk pass is over, then kept exact by the same triggers the live table
 *   has (the trigger function picks the shadow twins by the table's name).
 * - Log-derived (stage minutes and hours, events per minute, the source
 *   index): collected while the log is folded, written in the transaction that
 *   writes the folded rows.
 */
import type { StoredEvent } from '../../envelope/operation-event';
import { readModelTriggersSql } from '../migrations/1764000500000-operator-read-models';
import {
  minuteOf,
  StageActivityRollup,
  stageEventActivity,
  stageStateOf,
  type RollupCell,
} from '../../projection/stage-activity';
import type { Projection } from '../../projection/operation-fold';
import { LIVE_TABLE } from '../projection/shadow-table';
import { copyText } from '../copy-from';
import { type BulkLoadRunner, quoteIdentifier, selectRows, SqlRunner } from '../sql';

/** Live read model → suffix of its shadow twin (`<shadow>_<suffix>`). */
export const ROW_DERIVED_TABLES = {
  operation_stages: 'stages',
  operation_status_counts: 'status_counts',
  operation_running_stage_counts: 'running_counts',
} as const;

export const LOG_DERIVED_TABLES = {
  stage_minute_stats: 'stage_minute_stats',
  stage_hour_stats: 'stage_hour_stats',
  event_minute_counts: 'event_minute_counts',
  operation_sources: 'sources',
} as const;

type ReadModelTable = keyof typeof ROW_DERIVED_TABLES | keyof typeof LOG_DERIVED_TABLES;

export function twinOf(shadow: string, live: ReadModelTable): string {
  const suffix = { ...ROW_DERIVED_TABLES, ...LOG_DERIVED_TABLES }[live];
  return `${shadow}_${suffix}`;
}

/** What folding a stretch of the log adds to the log-derived rollups. */
export class LogActivity {
  readonly stages = new StageActivityRollup();
  readonly eventsByMinute = new Map<string, number>();
  /** "source\u0000operation id" → the operation's first position. */
  readonly sources = new Map<string, number>();

  /** Call before the event is folded into `draft`. */
  add(draft: Projection, event: StoredEvent): void {
    const activity = stageEventActivity(stageStateOf(draft.state.stages, event), event);
    if (activity) this.stages.add(activity);
    const minute = minuteOf(event.recordedAt);
    this.eventsByMinute.set(minute, (this.eventsByMinute.get(minute) ?? 0) + 1);
  }

  /** The source index row of an event (idempotent: written with ON CONFLICT DO NOTHING). */
  addSource(event: StoredEvent, firstPosition: number): void {
    this.sources.set(`${event.source}\u0000${event.operationId}`, firstPosition);
  }

  get isEmpty(): boolean {
    return this.stages.size === 0 && this.eventsByMinute.size === 0 && this.sources.size === 0;
  }

  clear(): void {
    this.stages.clear();
    this.eventsByMinute.clear();
    this.sources.clear();
  }
}

/**
 * Creates the shadow's log-derived twins (empty) if they do not exist. The source index's twin
 * starts without its unique index, like the shadow table: the bulk pass loads each of its rows once,
 * and one index build afterwards (completeShadowSourceIndexes) is far cheaper than as many inserts
 * into it. The rollups keep their keys: the bulk pass adds to their rows.
 */
export async function createShadowRollups(db: SqlRunner, shadow: string): Promise<void> {
  for (const live of Object.keys(LOG_DERIVED_TABLES) as (keyof typeof LOG_DERIVED_TABLES)[]) {
    const indexes = live === 'operation_sources' ? 'EXCLUDING INDEXES' : '';
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(twinOf(shadow, live))} (LIKE ${live} INCLUDING ALL ${indexes})`,
    );
  }
}

/**
 * Gives the source index's twin the live one's indexes if it has none yet (idempotent): at the end
 * of the bulk pass, before anything writes to it with ON CONFLICT.
 */
export async function completeShadowSourceIndexes(db: SqlRunner, shadow: string): Promise<void> {
  const twin = twinOf(shadow, 'operation_sources');
  const [row] = await selectRows<{ indexes: string }>(
    db,
    'SELECT count(*) AS indexes FROM pg_index WHERE indrelid = $1::regclass',
    [quoteIdentifier(twin)],
  );
  if (Number(row.indexes) === 0) await copyIndexes(db, 'operation_sources', twin);
}

/**
 * Adds `activity` to the rollup tables of `projectionTable` (the live `operations` or a shadow), in
 * `stripe` (readers add the stripes up): concurrent writers that use different stripes never wait for
 * each other's rollup rows.
 */
export async function addLogActivity(
  db: SqlRunner,
  projectionTable: string,
  activity: LogActivity,
  stripe = 0,
): Promise<void> {
  if (activity.isEmpty) return;
  await addRollups(db, projectionTable, activity, stripe);
  await addSources(db, logDerivedTable(projectionTable, 'operation_sources'), activity);
}

/** A log-derived read model of `projectionTable`: the live one, or the shadow's twin. */
function logDerivedTable(projectionTable: string, live: keyof typeof LOG_DERIVED_TABLES): string {
  return quoteIdentifier(projectionTable === LIVE_TABLE ? live : twinOf(projectionTable, live));
}

/** Adds what `activity` counted to the stage rollups and the events per minute, in `stripe`. */
async function addRollups(db: SqlRunner, projectionTable: string, activity: LogActivity, stripe: number) {
  const name = (live: keyof typeof LOG_DERIVED_TABLES) => logDerivedTable(projectionTable, live);
  const { minutes, hours } = activity.stages.toWriteRequest();
  const upsertCells = async (table: string, bucket: string, cells: RollupCell[]) => {
    if (cells.length === 0) return;
    await db.query(
      `INSERT INTO ${table} AS t (${bucket}, stage, stripe, started, succeeded, failed, skipped, durations)
       SELECT a.bucket, a.stage, $2::smallint, a.started, a.succeeded, a.failed, a.skipped, a.durations
       FROM json_to_recordset($1::json) AS a(stage text, bucket timestamptz, started bigint, succeeded bigint,
         failed bigint, skipped bigint, durations int[])
       ORDER BY a.bucket, a.stage
       ON CONFLICT (${bucket}, stage, stripe) DO UPDATE SET started = t.started + EXCLUDED.started,
         succeeded = t.succeeded + EXCLUDED.succeeded, failed = t.failed + EXCLUDED.failed,
         skipped = t.skipped + EXCLUDED.skipped, durations = opledger_add_histograms(t.durations, EXCLUDED.durations)`,
      [JSON.stringify(cells), stripe],
    );
  };
  await upsertCells(name('stage_minute_stats'), 'minute', minutes);
  await upsertCells(name('stage_hour_stats'), 'hour', hours);
  if (activity.eventsByMinute.size > 0) {
    await db.query(
      `INSERT INTO ${name('event_minute_counts')} AS t (minute, stripe, events)
       SELECT a.minute, $2::smallint, a.events FROM json_to_recordset($1::json) AS a(minute timestamptz, events bigint)
       ORDER BY a.minute
       ON CONFLICT (minute, stripe) DO UPDATE SET events = t.events + EXCLUDED.events`,
      [JSON.stringify([...activity.eventsByMinute].map(([minute, events]) => ({ minute, events }))), stripe],
    );
  }
}

async function addSources(db: SqlRunner, table: string, activity: LogActivity): Promise<void> {
  if (activity.sources.size > 0) {
    await db.query(
      `INSERT INTO ${table} (source, first_position, operation_id)
       SELECT a.source, a.first_position, a.operation_id
       FROM json_to_recordset($1::json) AS a(source text, first_position bigint, operation_id text)
       ORDER BY 1, 2, 3
       ON CONFLICT DO NOTHING`,
      [
        JSON.stringify(
          [...activity.sources].map(([key, firstPosition]) => {
            const [source, operationId] = key.split('\u0000');
            return { source, first_position: firstPosition, operation_id: operationId };
          }),
        ),
      ],
    );
  }
}

/**
 * Loads `activity` into a shadow's rollups (in `stripe`) and source index, like addLogActivity, but
 * the source index with COPY: for the bulk pass of a rebuild, which writes each operation's sources
 * once (an operation is folded whole into one batch, and a batch commits with its checkpoint).
 */
export async function loadLogActivity(
  db: BulkLoadRunner,
  shadow: string,
  activity: LogActivity,
  stripe: number,
): Promise<void> {
  await addRollups(db, shadow, activity, stripe);
  if (activity.sources.size === 0) return;
  let text = '';
  for (const [key, firstPosition] of activity.sources) {
    const [source, operationId] = key.split('\u0000');
    text += `${copyText(source)}\t${firstPosition}\t${copyText(operationId)}\n`;
  }
  await db.copyFrom(
    `COPY ${logDerivedTable(shadow, 'operation_sources')} (source, first_position, operation_id) FROM STDIN`,
    text,
  );
}

/**
 * Builds the shadow's row-derived twins from the shadow as it stands, and
 * gives the shadow the live table's triggers so that every later write to it
 * (catch-up, the swap's last catch-up) keeps them exact. Idempotent: a resumed
 * job builds them again from scratch.
 */
export async function buildShadowRowModels(db: SqlRunner, shadow: string): Promise<void> {
  const t = (live: keyof typeof ROW_DERIVED_TABLES) => quoteIdentifier(twinOf(shadow, live));
  const source = quoteIdentifier(shadow);
  for (const live of Object.keys(ROW_DERIVED_TABLES) as (keyof typeof ROW_DERIVED_TABLES)[]) {
    await db.query(`DROP TABLE IF EXISTS ${t(live)}`);
    // Without indexes while filled; they are added below, as for the shadow itself.
    await db.query(`CREATE TABLE ${t(live)} (LIKE ${live} INCLUDING ALL EXCLUDING INDEXES)`);
  }
  await db.query(`
    INSERT INTO ${t('operation_status_counts')} (status, stripe, count)
    SELECT status, 0, count(*) FROM ${source} WHERE version > 0 GROUP BY status`);
  await db.query(`
    INSERT INTO ${t('operation_running_stage_counts')} (stage, stripe, count)
    SELECT s.key, 0, count(*) FROM ${source} o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s
    WHERE o.version > 0 AND o.status IN ('pending', 'running') AND s.value ->> 'status' = 'running'
    GROUP BY s.key`);
  await db.query(`
    INSERT INTO ${t('operation_stages')} (operation_id, stage, status, first_position)
    SELECT o.id, s.key, s.value ->> 'status', o.first_position
    FROM ${source} o CROSS JOIN LATERAL jsonb_each(o.state -> 'stages') AS s WHERE o.version > 0`);
  for (const live of Object.keys(ROW_DERIVED_TABLES) as (keyof typeof ROW_DERIVED_TABLES)[]) {
    await copyIndexes(db, live, twinOf(shadow, live));
  }
  const triggers = await selectRows<{ tgname: string }>(
    db,
    `SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal`,
    [source],
  );
  if (triggers.length === 0) for (const sql of readModelTriggersSql(shadow)) await db.query(sql);
}

export async function shadowRowModelsExist(db: SqlRunner, shadow: string): Promise<boolean> {
  const [row] = await selectRows<{ triggers: string }>(
    db,
    `SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal`,
    [quoteIdentifier(shadow)],
  );
  return Number(row.triggers) > 0;
}

export async function dropShadowReadModels(db: SqlRunner, shadow: string): Promise<void> {
  for (const live of [...Object.keys(ROW_DERIVED_TABLES), ...Object.keys(LOG_DERIVED_TABLES)] as ReadModelTable[]) {
    await db.query(`DROP TABLE IF EXISTS ${quoteIdentifier(twinOf(shadow, live))}`);
  }
}

/**
 * Inside the swap transaction: every read model's twin replaces the live table
 * (its indexes renamed to the live names), and the shadow's triggers take the
 * live trigger names. Called after the shadow has become `operations`.
 */
export async function replaceLiveReadModels(db: SqlRunner, shadow: string): Promise<void> {
  for (const live of [...Object.keys(ROW_DERIVED_TABLES), ...Object.keys(LOG_DERIVED_TABLES)] as ReadModelTable[]) {
    const twin = twinOf(shadow, live);
    const liveIndexes = await indexNames(db, live);
    await db.query(`DROP TABLE ${live}`);
    await db.query(`ALTER TABLE ${quoteIdentifier(twin)} RENAME TO ${live}`);
    const twinIndexes = await indexNames(db, live);
    for (const index of twinIndexes) {
      const target = liveIndexes.find((candidate) => candidate.shape === index.shape);
      if (target && target.name !== index.name) {
        await db.query(`ALTER INDEX ${quoteIdentifier(index.name)} RENAME TO ${quoteIdentifier(target.name)}`);
      }
    }
  }
  for (const suffix of ['insert', 'update', 'delete']) {
    const from = `${shadow}_read_models_${suffix}`.slice(0, 63);
    await db.query(
      `ALTER TRIGGER ${quoteIdentifier(from)} ON ${LIVE_TABLE} RENAME TO ${quoteIdentifier(`operations_read_models_${suffix}`)}`,
    );
  }
}

async function indexNames(db: SqlRunner, table: string): Promise<{ name: string; shape: string }[]> {
  const rows = await selectRows<{ name: string; definition: string }>(
    db,
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass`,
    [quoteIdentifier(table)],
  );
  return rows.map((r) => ({ name: r.name, shape: r.definition.slice(r.definition.indexOf(' USING ')) }));
}

/** Gives `twin` every index `live` has (same definition, name prefixed by the twin's). */
async function copyIndexes(db: SqlRunner, live: string, twin: string): Promise<void> {
  const rows = await selectRows<{ name: string; definition: string; is_primary: boolean; is_unique: boolean }>(
    db,
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisprimary AS is_primary,
            i.indisunique AS is_unique
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass`,
    [quoteIdentifier(live)],
  );
  for (const row of rows) {
    const tail = row.definition.slice(row.definition.indexOf(' USING '));
    if (row.is_primary) {
      const columns = tail.slice(tail.indexOf('(') + 1, tail.lastIndexOf(')'));
      await db.query(`ALTER TABLE ${quoteIdentifier(twin)} ADD PRIMARY KEY (${columns})`);
      continue;
    }
    const name = quoteIdentifier(`${twin}_${row.name}`.slice(0, 63));
    await db.query(`CREATE ${row.is_unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${quoteIdentifier(twin)}${tail}`);
  }
}
