import fc from 'fast-check';
import { InFlightBudget } from '../../src/ingest/in-flight-budget';
import type { IncomingRecord } from '../../src/envelope/parse-kafka-record';
import { chunkRecords, recordBytes } from '../../src/ingest/record-chunks';

/** Lets every promise that can settle now settle (the budget admits through promise callbacks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InFlightBudget', () => {
  it('admits up to its capacity, then makes the next request wait for a release', async () => {
    const budget = new InFlightBudget(100);
    const releaseA = await budget.acquire(60);
    const releaseB = await budget.acquire(40);
    let admittedC = false;
    const c = budget.acquire(1).then((release) => {
      admittedC = true;
      return release;
    });
    await settle();
    expect(admittedC).toBe(false);
    expect(budget.snapshot()).toEqual({ capacityBytes: 100, bytes: 100, highWaterBytes: 100, waits: 1 });
    releaseA();
    await settle();
    expect(admittedC).toBe(true);
    (await c)();
    releaseB();
    expect(budget.snapshot().bytes).toBe(0);
  });

  it('admits a request larger than the capacity alone, once nothing else is in flight', async () => {
    const budget = new InFlightBudget(10);
    const small = await budget.acquire(5);
    let admitted = false;
    const large = budget.acquire(50).then((release) => ((admitted = true), release));
    await settle();
    expect(admitted).toBe(false);
    small();
    const releaseLarge = await large;
    expect(budget.snapshot()).toMatchObject({ bytes: 50, highWaterBytes: 50 });
    releaseLarge();
    expect(budget.snapshot().bytes).toBe(0);
  });

  it('serves waiting requests in order: a small one does not overtake a large one', async () => {
    const budget = new InFlightBudget(10);
    const first = await budget.acquire(8);
    const order: string[] = [];
    const large = budget.acquire(10).then((release) => (order.push('large'), release));
    const small = budget.acquire(1).then((release) => (order.push('small'), release));
    await settle();
    expect(order).toEqual([]);
    first();
    (await large)();
    (await small)();
    expect(order).toEqual(['large', 'small']);
  });

  it('gives bytes back once, however often release is called', async () => {
    const budget = new InFlightBudget(10);
    const release = await budget.acquire(4);
    await budget.acquire(3);
    release();
    release();
    expect(budget.snapshot().bytes).toBe(3);
  });

  it('refuses a capacity or a request that is not a whole number of bytes', async () => {
    expect(() => new InFlightBudget(0)).toThrow(RangeError);
    expect(() => new InFlightBudget(1.5)).toThrow(RangeError);
    await expect(new InFlightBudget(10).acquire(-1)).rejects.toThrow(RangeError);
  });

  it('never holds more than its capacity (or one oversized request alone), and admits every request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.record({ bytes: fc.integer({ min: 0, max: 1500 }), holdTurns: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 40,
        }),
        async (capacity, requests) => {
          const budget = new InFlightBudget(capacity);
          let held = 0;
          let heldRequests = 0;
          const violations: string[] = [];
          await Promise.all(
            requests.map(async ({ bytes, holdTurns }) => {
              const release = await budget.acquire(bytes);
              // Requests of 0 bytes (records without key or value) weigh nothing and are not counted.
              held += bytes;
              heldRequests += bytes > 0 ? 1 : 0;
              if (held > capacity && heldRequests > 1) violations.push(`${held} bytes in ${heldRequests} requests`);
              for (let turn = 0; turn < holdTurns; turn += 1) await settle();
              held -= bytes;
              heldRequests -= bytes > 0 ? 1 : 0;
              release();
            }),
          );
          expect(violations).toEqual([]);
          expect(budget.snapshot().bytes).toBe(0);
          const largest = Math.max(0, ...requests.map((r) => r.bytes));
          expect(budget.snapshot().highWaterBytes).toBeLessThanOrEqual(Math.max(capacity, largest));
        },
      ),
      { numRuns: 200 },
    );
  });
});

const record = (offset: number, valueBytes: number): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: Buffer.from('k'),
  value: Buffer.alloc(valueBytes),
  headers: {},
});

describe('chunkRecords', () => {
  it('weighs key, value and headers', () => {
    expect(recordBytes({ ...record(0, 10), headers: { ce_id: 'abc' } })).toBe(1 + 10 + 5 + 3);
    expect(recordBytes({ ...record(0, 0), key: null, value: null, headers: {} })).toBe(0);
  });

  it('cuts by events and by bytes, keeps order, and puts an oversized record in a chunk of its own', () => {
    const records = [record(0, 9), record(1, 9), record(2, 99), record(3, 9), record(4, 9), record(5, 9)];
    const chunks = chunkRecords(records, 2, 25);
    expect(chunks.map((c) => c.records.map((r) => r.offset))).toEqual([['0', '1'], ['2'], ['3', '4'], ['5']]);
    expect(chunks.map((c) => c.bytes)).toEqual([20, 100, 20, 10]);
  });

  it('keeps every record once, in order, within both limits unless a chunk is a single record', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 500 }),
        (sizes, maxEvents, maxBytes) => {
          const records = sizes.map((size, i) => record(i, size));
          const chunks = chunkRecords(records, maxEvents, maxBytes);
          expect(chunks.flatMap((c) => c.records)).toEqual(records);
          for (const chunk of chunks) {
            expect(chunk.records.length).toBeGreaterThan(0);
            expect(chunk.records.length).toBeLessThanOrEqual(maxEvents);
            expect(chunk.bytes).toBe(chunk.records.reduce((sum, r) => sum + recordBytes(r), 0));
            if (chunk.records.length > 1) expect(chunk.bytes).toBeLessThanOrEqual(maxBytes);
          }
        },
      ),
    );
  });
});
