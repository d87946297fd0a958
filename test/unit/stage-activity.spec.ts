import fc from 'fast-check';
import type { OperationEvent } from '../../src/envelope/operation-event';
import { applyEvent, emptyProjection } from '../../src/projection/operation-fold';
import {
  bucketValue,
  DURATION_BUCKETS,
  durationBucket,
  histogramQuantile,
  StageActivityRollup,
  stageEventActivity,
  stageStateOf,
} from '../../src/projection/stage-activity';
import { buildStageStats, lastMinutes } from '../../src/operations/stage-stats';

const event = (id: string, type: string, time: string, stage = 'ocr'): OperationEvent => ({
  id,
  source: 'svc',
  type,
  operationId: 'op',
  time,
  data: { stage },
  expectedVersion: null,
});

/** Folds events in order, collecting what each adds to the rollups, as the append and the rebuild do. */
function activities(events: OperationEvent[]) {
  const draft = emptyProjection('op', events[0]);
  return events.map((e) => {
    const activity = stageEventActivity(stageStateOf(draft.state.stages, e), e);
    applyEvent(draft, e);
    return activity;
  });
}

describe('stage activity', () => {
  it('counts each stage event in the minute of its own time, and times a finish from the latest start before it', () => {
    const result = activities([
      event('a', 'stage.started', '2026-11-30T10:00:59.500000Z'),
      event('b', 'stage.failed', '2026-11-30T10:01:02.000000Z'),
      event('c', 'stage.started', '2026-11-30T10:01:10.000000Z'),
      event('d', 'stage.completed', '2026-11-30T10:01:13.250000Z'),
      event('e', 'stage.skipped', '2026-11-30T10:02:00.000000Z', 'thumbnail'),
    ]);
    expect(result).toEqual([
      { stage: 'ocr', minute: '2026-11-30T10:00:00.000000Z', outcome: 'started', durationMs: null },
      { stage: 'ocr', minute: '2026-11-30T10:01:00.000000Z', outcome: 'failed', durationMs: 2500 },
      { stage: 'ocr', minute: '2026-11-30T10:01:00.000000Z', outcome: 'started', durationMs: null },
      { stage: 'ocr', minute: '2026-11-30T10:01:00.000000Z', outcome: 'succeeded', durationMs: 3250 },
      { stage: 'thumbnail', minute: '2026-11-30T10:02:00.000000Z', outcome: 'skipped', durationMs: null },
    ]);
  });

  it('counts a finish that arrives before its start without a duration, and ignores other events', () => {
    const result = activities([
      event('f', 'stage.completed', '2026-11-30T10:00:05.000000Z'),
      event('s', 'stage.started', '2026-11-30T10:00:01.000000Z'),
      { ...event('m', 'metadata.updated', '2026-11-30T10:00:06.000000Z'), data: { metadata: { a: 1 } } },
    ]);
    expect(result).toEqual([
      { stage: 'ocr', minute: '2026-11-30T10:00:00.000000Z', outcome: 'succeeded', durationMs: null },
      { stage: 'ocr', minute: '2026-11-30T10:00:00.000000Z', outcome: 'started', durationMs: null },
      null,
    ]);
  });

  it('treats "__proto__" as an ordinary stage name', () => {
    const result = activities([
      event('a', 'stage.started', '2026-11-30T10:00:00.000000Z', '__proto__'),
      event('b', 'stage.completed', '2026-11-30T10:00:01.000000Z', '__proto__'),
    ]);
    expect(result[1]).toMatchObject({ stage: '__proto__', durationMs: 1000 });
  });

  it('buckets durations four per doubling, and reports a bucket within 9 % of any value in it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 27, noNaN: true }), (ms) => {
        const bucket = durationBucket(ms);
        expect(bucket).toBeGreaterThanOrEqual(1);
        expect(bucket).toBeLessThan(DURATION_BUCKETS);
        expect(Math.abs(bucketValue(bucket) - ms) / ms).toBeLessThan(0.091);
      }),
      { numRuns: 2000 },
    );
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(0.4)).toBe(0);
    expect(durationBucket(1e15)).toBe(DURATION_BUCKETS - 1);
  });

  it('finds quantiles by rank in a histogram', () => {
    const histogram = new Array<number>(DURATION_BUCKETS).fill(0);
    expect(histogramQuantile(histogram, 0.5)).toBeNull();
    histogram[durationBucket(100)] = 90;
    histogram[durationBucket(5000)] = 10;
    expect(histogramQuantile(histogram, 0.5)).toBe(bucketValue(durationBucket(100)));
    expect(histogramQuantile(histogram, 0.9)).toBe(bucketValue(durationBucket(100)));
    expect(histogramQuantile(histogram, 0.91)).toBe(bucketValue(durationBucket(5000)));
    expect(histogramQuantile(histogram, 1)).toBe(bucketValue(durationBucket(5000)));
  });

  it('rolls minutes up into hours without losing or double-counting anything', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stage: fc.constantFrom('a', 'b', 'c'),
            minute: fc.integer({ min: 0, max: 179 }),
            outcome: fc.constantFrom('started', 'succeeded', 'failed', 'skipped' as const),
            durationMs: fc.option(fc.integer({ min: 0, max: 100_000 })),
          }),
        ),
        (items) => {
          const rollup = new StageActivityRollup();
          for (const item of items) {
            const at = new Date(Date.UTC(2026, 10, 30, 10, item.minute)).toISOString();
            rollup.add({ ...item, minute: `${at.slice(0, 16)}:00.000000Z` });
          }
          const { minutes, hours } = rollup.toWriteRequest();
          const total = (cells: typeof minutes) =>
            cells.reduce(
              (sum, c) => sum + c.started + c.succeeded + c.failed + c.skipped + c.durations.reduce((a, b) => a + b, 0),
              0,
            );
          const expected = items.length + items.filter((i) => i.durationMs !== null).length;
          expect(total(minutes)).toBe(expected);
          expect(total(hours)).toBe(expected);
          expect(hours.every((h) => h.bucket.endsWith(':00:00.000000Z'))).toBe(true);
          expect(new Set(hours.map((h) => `${h.stage} ${h.bucket}`)).size).toBe(hours.length);
        },
      ),
    );
  });
});

describe('stage stats report', () => {
  it('sums stripes and minutes per stage, keeps the series aligned to the last hour, and reads running counts', () => {
    const current = '2026-11-30T10:30:00.000000Z';
    const minutes = lastMinutes(current, 60);
    expect(minutes[0]).toBe('2026-11-30T09:31:00.000000Z');
    expect(minutes[59]).toBe(current);
    const histogram = (ms: number, n: number) => {
      const h = new Array<number>(DURATION_BUCKETS).fill(0);
      h[durationBucket(ms)] = n;
      return JSON.stringify(h);
    };
    const report = buildStageStats({
      window: '1h',
      currentMinute: current,
      windowRows: [
        { stage: 'ocr', started: '3', succeeded: '2', failed: '1', skipped: '0', durations: histogram(1000, 3) },
        { stage: 'ocr', started: 1, succeeded: 1, failed: 0, skipped: 0, durations: histogram(8000, 1) },
      ],
      seriesRows: [
        {
          minute: '2026-11-30T10:29:00.000000Z',
          stage: 'ocr',
          started: '4',
          succeeded: '3',
          failed: '1',
          skipped: '0',
        },
        {
          minute: '2026-11-30T08:00:00.000000Z',
          stage: 'ocr',
          started: '9',
          succeeded: '0',
          failed: '0',
          skipped: '0',
        },
      ],
      eventRows: [{ minute: current, events: '12' }],
      running: [
        { stage: 'thumbnail', count: '2' },
        { stage: 'gone', count: '0' },
      ],
    });
    expect(report.stages.map((s) => s.stage)).toEqual(['ocr', 'thumbnail']);
    expect(report.stages[0]).toMatchObject({ started: 4, succeeded: 3, failed: 1, running: 0, failureRate: 0.25 });
    expect(report.stages[0].durationMs.count).toBe(4);
    expect(report.stages[0].durationMs.p50).toBeCloseTo(bucketValue(durationBucket(1000)), 2);
    expect(report.stages[0].durationMs.p99).toBeCloseTo(bucketValue(durationBucket(8000)), 2);
    expect(report.stages[1]).toMatchObject({ stage: 'thumbnail', started: 0, running: 2, failureRate: null });
    expect(report.series.stages.ocr.started[58]).toBe(4);
    expect(report.series.stages.ocr.started.reduce((a, b) => a + b, 0)).toBe(4); // 08:00 is outside the hour
    expect(report.series.events[59]).toBe(12);
    expect(report.from).toBe('2026-11-30T09:31:00.000Z');
    expect(report.to).toBe('2026-11-30T10:31:00.000Z');
  });
});
