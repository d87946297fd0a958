/**
 * The Postgres CPU of one append, without HTTP or Kafka in front of it: the
 * service's own EventStore.append in a loop, each append `MERGE` single-event
 * units (as the HTTP group commit merges that many requests), on 10,000
 * operations, against an embedded Postgres of its own. Prints the Postgres
 * server's CPU per append (all its processes, from /proc) and the wall time.
 * Used to compare two versions of the append's SQL one change at a time
 * (docs/benchmarks.md, "HTTP appends"):
 *
 *   MERGE=6 ROUNDS=2000 npx ts-node --transpile-only bench/tools/append-cost.ts
 */
import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { databaseOptions } from '../../src/event-store/database-options';
import { EventStore } from '../../src/event-store/event-store.service';
import { runMigrations } from '../../src/event-store/run-migrations';
import { startLocalPostgres } from '../../src/local-infra/local-postgres';
import { postgresServerCpuMs, postmasterPidOf } from '../support/process-cpu';

const OPERATIONS = 10_000;
const STAGES = ['validate', 'ocr', 'classify', 'enrich-geo'];
const EPOCH_MS = Date.UTC(2026, 0, 1);

let sequence = 0;
/** The http-append scenario's mix: stage starts and completions, and metadata updates. */
function event(operationId: string): OperationEvent {
  sequence += 1;
  const kind = sequence % 3;
  return {
    id: `append-cost-${sequence}`,
    operationId,
    source: 'pipeline/bench',
    type: kind === 0 ? 'stage.started' : kind === 1 ? 'stage.completed' : 'metadata.updated',
    time: new Date(EPOCH_MS + sequence * 10).toISOString().replace('Z', '000Z'),
    data: kind === 2 ? { metadata: { step: sequence } } : { stage: STAGES[sequence % STAGES.length] },
    expectedVersion: null,
  };
}

const randomOperation = () => `op-${Math.floor(Math.random() * OPERATIONS)}`;

async function main(): Promise<void> {
  const merge = Number(process.env.MERGE ?? 6);
  const rounds = Number(process.env.ROUNDS ?? 2000);
  const root = mkdtempSync(join(tmpdir(), 'opledger-append-cost-'));
  chmodSync(root, 0o755);
  const postgres = await startLocalPostgres({ dataDir: join(root, 'postgres') });
  const dataSource = new DataSource(databaseOptions(postgres.adminUrl, 4));
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    const store = new EventStore(dataSource);
    const appendUnits = (events: OperationEvent[]) => store.append(events, { units: events.map(() => 1) });
    // Every operation exists first, so that the timed appends update projections as a live service does.
    for (let first = 0; first < OPERATIONS; first += 100) {
      await appendUnits(Array.from({ length: 100 }, (_, i) => event(`op-${first + i}`)));
    }
    const postmaster = await postmasterPidOf(postgres.adminUrl);
    const cpuBefore = postgresServerCpuMs(postmaster);
    const started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round += 1) {
      await appendUnits(Array.from({ length: merge }, () => event(randomOperation())));
    }
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpuMs = postgresServerCpuMs(postmaster) - cpuBefore;
    console.log(
      `${merge} single-event units per append, ${rounds} appends: Postgres CPU ${Math.round((cpuMs * 1000) / rounds)} µs ` +
        `per append, wall ${((wallMs * 1000) / rounds).toFixed(0)} µs per append`,
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
