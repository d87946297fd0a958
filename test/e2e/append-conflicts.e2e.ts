import { DataSource } from 'typeorm';
import { APPEND_GATE_LOCK_KEY, EventStore } from '../../src/event-store/event-store.service';
import { createTestContext, operationEvent, type RunningApp, startTestApp } from '../support/test-app';

/**
 * Appends are optimistic (read the heads, fold, write if no head changed) and
 * fall back to locked reads when they collide; these races must neither lose
 * nor double an event, nor write a projection folded onto a stale head.
 */
describe('append conflicts', () => {
  let service: RunningApp;
  let store: EventStore;
  let dataSource: DataSource;

  beforeAll(async () => {
    service = await startTestApp(await createTestContext(), { INGEST_ENABLED: 'false', DATABASE_POOL_SIZE: '20' });
    store = service.app.get(EventStore);
    dataSource = service.app.get(DataSource);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('gives concurrent writers of one new operation contiguous versions and a projection that counts them all', async () => {
    const events = Array.from({ length: 30 }, () => operationEvent('contended-1', 'custom.noted'));
    const outcomes = (await Promise.all(events.map((event) => store.append([event])))).flat();

    expect(outcomes.map((o) => o.status)).toEqual(events.map(() => 'appended'));
    const versions = outcomes.map((o) => (o.status === 'appended' ? o.version : 0)).sort((a, b) => a - b);
    expect(versions).toEqual(events.map((_, i) => i + 1));
    const [row] = await dataSource.query(`SELECT version, state FROM operations WHERE id = 'contended-1'`);
    expect(row.version).toBe(30);
    expect(row.state.eventCount).toBe(30);
    const [log] = await dataSource.query(
      `SELECT count(*)::int AS n, count(DISTINCT version)::int AS versions FROM operation_events WHERE operation_id = 'contended-1'`,
    );
    expect(log).toEqual({ n: 30, versions: 30 });
  });

  it('stores an event once when the same id is appended by many writers at once', async () => {
    const event = operationEvent('contended-2', 'custom.noted');
    const outcomes = (await Promise.all(Array.from({ length: 10 }, () => store.append([event])))).flat();

    expect(outcomes.filter((o) => o.status === 'appended')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(9);
    expect(new Set(outcomes.map((o) => (o.status === 'rejected' ? -1 : o.position))).size).toBe(1);
  });

  it('refuses a write folded onto a head that changed after it was read', async () => {
    await store.append([operationEvent('contended-3', 'custom.noted')]);
    const [head] = await dataSource.query(`SELECT xmin::text AS row FROM operations WHERE id = 'contended-3'`);
    // Another write (here: a projection rewrite, as a rebuild's swap would do) moves the row on.
    await dataSource.query(`UPDATE operations SET projected_at = now() WHERE id = 'contended-3'`);

    const stale = dataSource.query('SELECT opledger_append_events($1::json, $2::json, $3::json, $4, $5::json)', [
      JSON.stringify([{ id: 'contended-3', base_version: 1, base_row: head.row }]),
      JSON.stringify([]),
      JSON.stringify([]),
      APPEND_GATE_LOCK_KEY,
      JSON.stringify({ minutes: [], hours: [] }),
    ]);
    await expect(stale).rejects.toMatchObject({ driverError: { code: '40001' } });

    // The store itself reads again and succeeds.
    const [outcome] = await store.append([operationEvent('contended-3', 'custom.noted')]);
    expect(outcome).toMatchObject({ status: 'appended', version: 2 });
  });

  it('refuses a transaction older than a writer that committed to one of its operations, so versions stay in feed order', async () => {
    await store.append([operationEvent('overtaken-a', 'custom.noted')]);
    await store.append([operationEvent('overtaken-b', 'custom.noted')]);
    const older = dataSource.createQueryRunner();
    await older.connect();
    try {
      await older.startTransaction('READ COMMITTED');
      // Its first row lock gives it a transaction id now, before the append below takes one.
      await older.query(`SELECT 1 FROM operations WHERE id = 'overtaken-a' FOR UPDATE`);
      const [newer] = await store.append([operationEvent('overtaken-b', 'custom.noted')]);
      expect(newer).toMatchObject({ status: 'appended', version: 2 });

      // Heads read now are current (no "changed since read"), but b's writer has a newer id:
      // b's version 3 written here would sort before version 2 in the feed.
      const heads: { id: string; version: number; row: string }[] = await older.query(
        `SELECT id, version, xmin::text AS row FROM operations WHERE id IN ('overtaken-a', 'overtaken-b') ORDER BY id`,
      );
      const call = older.query('SELECT opledger_append_events($1::json, $2::json, $3::json, $4, $5::json)', [
        JSON.stringify(heads.map((h) => ({ id: h.id, base_version: h.version, base_row: h.row }))),
        JSON.stringify([]),
        JSON.stringify([]),
        APPEND_GATE_LOCK_KEY,
        JSON.stringify({ minutes: [], hours: [] }),
      ]);
      await expect(call).rejects.toMatchObject({
        driverError: { code: '40001', message: expect.stringContaining('written by a newer transaction') },
      });
    } finally {
      if (older.isTransactionActive) await older.rollbackTransaction();
      await older.release();
    }

    // In a new transaction (a newer id) the same append goes through.
    const [outcome] = await store.append([
      operationEvent('overtaken-a', 'custom.noted'),
      operationEvent('overtaken-b', 'custom.noted'),
    ]);
    expect(outcome).toMatchObject({ status: 'appended', version: 2 });
  });
});
