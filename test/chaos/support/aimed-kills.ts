import type { FailpointHit, FailpointName } from '../../../src/common/failpoints';
import { queryDatabase } from '../../support/test-app';
import { eventIdsAt, isCommitted } from './consumer-offsets';
import type { RecordPlacement } from './workload';

/** A kill aimed at a failpoint of the ingest or append path: the plan armed for one incarnation. */
export interface AimedRound {
  failpoint: FailpointName;
  plan: string;
  /** Hold the HTTP writers back, so that a point HTTP appends share is reached by a Kafka append. */
  kafkaOnly?: boolean;
}

export const AIMED_ROUNDS: AimedRound[] = [
  // After the DB commit, before the offset commit: the chunk must be redelivered and be a no-op.
  { failpoint: 'ingest.after-append', plan: 'ingest.after-append=3*off->crash' },
  // Inside the append transaction (the locked path, reached by acting as if a head had moved):
  // rolled back, the offset not committed, so the chunk is delivered again and stored then.
  {
    failpoint: 'append.in-transaction',
    plan: 'append.optimistic=error(40001),append.in-transaction=2*off->crash',
    kafkaOnly: true,
  },
  // An HTTP append committed, its response never sent: the writer retries with the same id.
  { failpoint: 'http.append.after-commit', plan: 'http.append.after-commit=3*off->crash' },
];

async function storedIds(databaseUrl: string, ids: string[]): Promise<Set<string>> {
  const rows = await queryDatabase<{ event_id: string }>(
    databaseUrl,
    'SELECT event_id FROM operation_events WHERE event_id = ANY($1)',
    [ids],
  );
  return new Set(rows.map((row) => row.event_id));
}

/**
 * Whether the state right after an aimed kill (log and committed offsets, the
 * process gone) is the one its window must leave, for the events the hit named:
 *
 * - `ingest.after-append`: every record of the chunk stored, none committed;
 * - `append.in-transaction`: none of the events written in the transaction stored (rolled
 *   back), all of them Kafka records not committed (so they will be delivered again);
 * - `http.append.after-commit`: every event of the unanswered request stored.
 */
export async function judgeAimedKill(
  hit: FailpointHit,
  committed: Map<number, number>,
  placements: ReadonlyMap<string, RecordPlacement>,
  databaseUrl: string,
): Promise<{ landed: boolean; note: string }> {
  const detail = hit.detail as { partition?: number; firstOffset?: string; lastOffset?: string; events?: string[] };
  if (hit.name === 'ingest.after-append') {
    const [partition, first, last] = [detail.partition!, Number(detail.firstOffset), Number(detail.lastOffset)];
    const ids = eventIdsAt(placements, partition, first, last);
    const inLog = await storedIds(databaseUrl, ids);
    const committedOffset = committed.get(partition) ?? -1;
    return {
      landed: ids.length > 0 && inLog.size === ids.length && committedOffset <= first,
      note: `chunk p${partition} ${first}..${last}: ${inLog.size}/${ids.length} stored, committed offset ${committedOffset}`,
    };
  }
  const ids = detail.events ?? [];
  const inLog = await storedIds(databaseUrl, ids);
  if (hit.name === 'append.in-transaction') {
    const uncommitted = ids.filter((id) => {
      const placement = placements.get(id);
      return placement !== undefined && !isCommitted(placement, committed);
    }).length;
    return {
      landed: ids.length > 0 && inLog.size === 0 && uncommitted === ids.length,
      note: `${ids.length} events written in the transaction: ${inLog.size} in the log after the kill, ${uncommitted} Kafka records uncommitted`,
    };
  }
  return {
    landed: ids.length > 0 && inLog.size === ids.length && ids.every((id) => !placements.has(id)),
    note: `request of ${ids.length} events: ${inLog.size} in the log after the kill`,
  };
}
