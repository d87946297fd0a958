import fc from 'fast-check';
import type { StoredEvent } from '../../src/envelope/operation-event';
import { foldEvents } from '../../src/projection/operation-fold';
import { foldOperations } from '../../src/replay/projection-rows-from-log';

const TYPES = ['operation.created', 'stage.started', 'stage.completed', 'metadata.updated', 'operation.completed'];

function storedEvent(operationId: string, version: number, position: number, type: string): StoredEvent {
  const time = `2026-01-01T00:00:${String(position % 60).padStart(2, '0')}.000000Z`;
  const data =
    type === 'metadata.updated' ? { metadata: { k: position } } : type.startsWith('stage.') ? { stage: 's' } : null;
  return {
    id: `${operationId}-${version}`,
    operationId,
    version,
    position,
    type,
    source: 'test',
    time,
    recordedAt: time,
    data,
    expectedVersion: null,
  };
}

/** A log ordered by (operation_id, version), as the rebuild reads it. */
const logArbitrary = fc
  .array(fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 8 }), { minLength: 0, maxLength: 12 })
  .map((operations) => {
    let position = 0;
    return operations.flatMap((types, o) =>
      types.map((type, v) => storedEvent(`op-${String(o).padStart(2, '0')}`, v + 1, (position += 1), type)),
    );
  });

async function collect(pages: StoredEvent[][]) {
  async function* stream() {
    for (const page of pages) yield page;
  }
  const rows = [];
  for await (const folded of foldOperations(stream())) rows.push(folded);
  return rows;
}

describe('foldOperations', () => {
  it('yields, for any paging of the log, each operation once with the shared fold of its events', async () => {
    await fc.assert(
      fc.asyncProperty(logArbitrary, fc.integer({ min: 1, max: 7 }), async (log, pageSize) => {
        const pages: StoredEvent[][] = [];
        for (let i = 0; i < log.length; i += pageSize) pages.push(log.slice(i, i + pageSize));
        const folded = await collect(pages);

        const ids = [...new Set(log.map((e) => e.operationId))];
        expect(folded.map((f) => f.row.id)).toEqual(ids);
        for (const { row, events } of folded) {
          const own = log.filter((e) => e.operationId === row.id);
          const expected = foldEvents(own)!;
          expect(row.state).toEqual(expected.state);
          expect(row.memo).toEqual(expected.memo);
          expect(row.version).toBe(own.length);
          expect(events).toBe(own.length);
          expect(row.firstPosition).toBe(own[0].position);
          expect(row.lastPosition).toBe(own[own.length - 1].position);
        }
      }),
    );
  });
});
