/**
 * Writes the workload straight into a migrated database with COPY: the log as
 * the service would have stored it (duplicates dropped, versions in arrival
 * order) and, optionally, every operation's projection. Used where a scenario
 * needs the ingest scenario's data but is not measuring ingest (api, rebuild).
 */
import { Client } from 'pg';
import { copyFrom, copyRow } from '../support/pg-copy';
import { toOperationEvent, trueProjection } from './operation-events';
import { operationId, recordsInProduceOrder, type Workload } from './workload';

export const EVENT_COPY_COLUMNS = 'operation_id, version, event_id, type, source, occurred_at, data';

export async function loadEventLog(
  databaseUrl: string,
  workload: Workload,
  { withProjections }: { withProjections: boolean },
): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const positions = new Map<string, { first: number; last: number }>();
    await client.query('BEGIN');
    await copyFrom(client, `COPY operation_events (${EVENT_COPY_COLUMNS}) FROM STDIN`, logChunks(workload, positions));
    if (withProjections) {
      // Newer schemas keep the position of an operation's first event (the list's order); older ones do not.
      const { rows } = await client.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'operations' AND column_name = 'first_position'`,
      );
      const withFirstPosition = rows.length > 0;
      await copyFrom(
        client,
        `COPY operations (id, version, status, state, memo, created_at, updated_at, last_position${withFirstPosition ? ', first_position' : ''}) FROM STDIN`,
        projectionChunks(workload, positions, withFirstPosition),
      );
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

function* logChunks(workload: Workload, positions: Map<string, { first: number; last: number }>): Generator<Buffer> {
  const seen = new Set<string>();
  const versions = new Map<string, number>();
  // A fresh table's identity starts at 1 and this is its only writer: positions follow COPY order.
  let position = 0;
  for (const window of recordsInProduceOrder(workload)) {
    let text = '';
    for (const { event } of window) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      const stored = toOperationEvent(event);
      const version = (versions.get(stored.operationId) ?? 0) + 1;
      versions.set(stored.operationId, version);
      position += 1;
      const known = positions.get(stored.operationId);
      if (known) known.last = position;
      else positions.set(stored.operationId, { first: position, last: position });
      text += copyRow([
        stored.operationId,
        version,
        stored.id,
        stored.type,
        stored.source,
        stored.time,
        stored.data === null ? null : JSON.stringify(stored.data),
      ]);
    }
    yield Buffer.from(text);
  }
}

function* projectionChunks(
  workload: Workload,
  positions: Map<string, { first: number; last: number }>,
  withFirstPosition: boolean,
): Generator<Buffer> {
  let text = '';
  for (let index = 0; index < workload.operations; index += 1) {
    const { state, memo } = trueProjection(index);
    const id = operationId(index);
    const { first, last } = positions.get(id) ?? { first: 0, last: 0 };
    const values = [id, state.version, state.status, JSON.stringify(state), JSON.stringify(memo)];
    text += copyRow([...values, state.createdAt, state.updatedAt, last, ...(withFirstPosition ? [first] : [])]);
    if (text.length > 1 << 20) {
      yield Buffer.from(text);
      text = '';
    }
  }
  yield Buffer.from(text);
}
