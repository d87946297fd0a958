import type { LedgerColumns } from './results';
import { isDeepStrictEqual } from 'node:util';
import { referenceState } from '../../support/reference-fold';
import { queryDatabase } from '../../support/test-app';
import { waitFor } from '../../support/wait-for';
import { asReferenceEvents, type SentLedger } from './workload';

/** How the database compares with what was sent; every count but the first three must be 0. */
export interface LedgerFigures {
  distinctEvents: number;
  stored: number;
  operations: number;
  /** Rows beyond one per event id. */
  duplicated: number;
  /** Sent, never stored. */
  lost: number;
  /** Stored, never sent. */
  invented: number;
  /** Stored with another operation, type, source, time or data than was sent. */
  altered: number;
  /** Operations whose versions are not exactly 1..n. */
  versionGaps: number;
  /** Operations whose projection is missing or differs from the reference fold of their events. */
  projectionMismatches: number;
  /** Rows in `operations` for operations nobody sent an event for. */
  phantomOperations: number;
  /** Up to a few described problems, for the failure message. */
  examples: string[];
}

interface StoredRow {
  event_id: string;
  operation_id: string;
  version: number;
  type: string;
  source: string;
  time: string;
  data: Record<string, unknown> | null;
}

export const countStoredEvents = async (databaseUrl: string): Promise<number> =>
  Number((await queryDatabase<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM operation_events'))[0]?.n ?? 0);

export const distinctEventCount = (ledger: SentLedger): number =>
  [...ledger.values()].reduce((sum, events) => sum + events.length, 0);

/** Polls until the log holds `expected` rows; resolves with the timeout error instead of throwing it. */
export async function waitForStoredCount(
  databaseUrl: string,
  expected: number,
  timeoutMs: number,
): Promise<Error | null> {
  return waitFor(`${expected} events stored`, async () => (await countStoredEvents(databaseUrl)) >= expected, {
    timeoutMs,
    intervalMs: 250,
  }).then(
    () => null,
    (error: unknown) => error as Error,
  );
}

/**
 * Compares the whole database with the ledger of sent events: each distinct
 * event stored exactly once and unaltered, versions 1..n per operation, and
 * each projection equal to the reference fold of the operation's event set.
 */
export async function checkLedger(databaseUrl: string, ledger: SentLedger): Promise<LedgerFigures> {
  const rows = await queryDatabase<StoredRow>(
    databaseUrl,
    `SELECT event_id, operation_id, version, type, source,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time, data
     FROM operation_events`,
  );
  const projections = await queryDatabase<{ id: string; version: number; state: Record<string, unknown> }>(
    databaseUrl,
    'SELECT id, version, state FROM operations',
  );
  const examples: string[] = [];
  const note = (text: string) => void (examples.length < 8 && examples.push(text));

  const sentById = new Map([...ledger.values()].flat().map((sent) => [sent.event.id, sent]));
  const storedById = new Map<string, StoredRow>();
  let duplicated = 0;
  let invented = 0;
  let altered = 0;
  const versionsByOperation = new Map<string, number[]>();
  for (const row of rows) {
    if (storedById.has(row.event_id)) {
      duplicated += 1;
      note(`event ${row.event_id} stored twice`);
    }
    storedById.set(row.event_id, row);
    const versions = versionsByOperation.get(row.operation_id) ?? [];
    versions.push(row.version);
    versionsByOperation.set(row.operation_id, versions);
    const sent = sentById.get(row.event_id);
    if (!sent) {
      invented += 1;
      note(`event ${row.event_id} stored but never sent`);
      continue;
    }
    const same =
      row.operation_id === sent.event.subject &&
      row.type === sent.event.type &&
      row.source === sent.event.source &&
      row.time === sent.canonicalTime &&
      isDeepStrictEqual(row.data, sent.event.data ?? null);
    if (!same) {
      altered += 1;
      note(`event ${row.event_id} stored as ${JSON.stringify(row)}, sent as ${JSON.stringify(sent)}`);
    }
  }
  let lost = 0;
  for (const id of sentById.keys()) {
    if (!storedById.has(id)) {
      lost += 1;
      note(`event ${id} sent but not stored`);
    }
  }

  const projectionById = new Map(projections.map((row) => [row.id, row]));
  let versionGaps = 0;
  let projectionMismatches = 0;
  for (const [operationId, sent] of ledger) {
    const versions = (versionsByOperation.get(operationId) ?? []).sort((a, b) => a - b);
    if (!versions.every((version, index) => version === index + 1)) {
      versionGaps += 1;
      note(`operation ${operationId} has versions ${versions.join(',')}`);
    }
    const projection = projectionById.get(operationId);
    const { version, eventCount, ...state } = (projection?.state ?? {}) as Record<string, unknown>;
    const expected = referenceState(operationId, asReferenceEvents(sent));
    const n = sent.length;
    if (!projection || projection.version !== n || version !== n || eventCount !== n) {
      projectionMismatches += 1;
      note(`operation ${operationId}: projection version ${projection?.version}/${String(version)}, expected ${n}`);
    } else if (!isDeepStrictEqual(state, expected)) {
      projectionMismatches += 1;
      note(`operation ${operationId}: projection ${JSON.stringify(state)} differs from ${JSON.stringify(expected)}`);
    }
  }
  const phantomOperations = projections.filter((row) => !ledger.has(row.id)).length;
  if (phantomOperations > 0) note(`${phantomOperations} operations rows nobody sent events for`);

  return {
    distinctEvents: sentById.size,
    stored: rows.length,
    operations: ledger.size,
    duplicated,
    lost,
    invented,
    altered,
    versionGaps,
    projectionMismatches,
    phantomOperations,
    examples,
  };
}

/** The assertion every ledger scenario ends with; the examples make a failure readable. */
export function expectLedgerIntact(figures: LedgerFigures): void {
  expect({
    duplicated: figures.duplicated,
    lost: figures.lost,
    invented: figures.invented,
    altered: figures.altered,
    versionGaps: figures.versionGaps,
    projectionMismatches: figures.projectionMismatches,
    phantomOperations: figures.phantomOperations,
    examples: figures.examples,
  }).toEqual({
    duplicated: 0,
    lost: 0,
    invented: 0,
    altered: 0,
    versionGaps: 0,
    projectionMismatches: 0,
    phantomOperations: 0,
    examples: [],
  });
  expect(figures.stored).toBe(figures.distinctEvents);
}

/** The figures of a ledger check as they go into the result file. */
export function ledgerFigures(figures: LedgerFigures): Record<string, number> {
  const { examples: _examples, ...numbers } = figures;
  return numbers;
}

/** The ledger columns of the reliability table for a scenario whose events all had to be stored. */
export function ledgerColumns(
  figures: LedgerFigures,
  eventsSent: number,
  baselineStaleRows: number | null = null,
): LedgerColumns {
  const { distinctEvents, stored, duplicated, lost } = figures;
  return { eventsSent, distinctEvents, stored, duplicated, lost, deadLettered: 0, baselineStaleRows };
}
