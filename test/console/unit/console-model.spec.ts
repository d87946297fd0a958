import fc from 'fast-check';
import { alignStages } from '../../../console/src/model/compare';
import { ganttModel, ticks, viewWindow } from '../../../console/src/model/gantt';
import { csvField, csvLine } from '../../../console/src/model/history-export';
import { lateFlags } from '../../../console/src/model/late-events';
import { filtersOf, queryOf } from '../../../console/src/model/list-filters';
import { formatDuration, parseDuration, toMs } from '../../../console/src/model/time';
import type { OperationTimeline, StageTimeline } from '../../../src/client/api-types';
import type { AttemptSpan } from '../../../src/operations/stage-attempts';

const T0 = Date.UTC(2026, 10, 25, 16, 0, 0);
const at = (ms: number) => `${new Date(T0 + ms).toISOString().slice(0, 23)}000Z`;

function span(attempt: number, from: number | null, to: number | null, outcome: AttemptSpan['outcome']): AttemptSpan {
  return {
    attempt,
    startedAt: from === null ? null : at(from),
    endedAt: to === null ? null : at(to),
    outcome,
    source: 's',
    error: null,
  };
}

function stage(name: string, spans: AttemptSpan[], status: StageTimeline['status']): StageTimeline {
  const starts = spans.filter((s) => s.startedAt !== null);
  const last = spans.at(-1)!;
  return {
    stage: name,
    status,
    attempts: starts.length,
    firstStartedAt: starts[0]?.startedAt ?? null,
    lastStartedAt: starts.at(-1)?.startedAt ?? null,
    finishedAt: status === 'running' ? null : last.endedAt,
    durationMs: starts[0] && last.endedAt ? toMs(last.endedAt) - toMs(starts[0].startedAt!) : null,
    running: status === 'running',
    attemptSpans: spans,
  };
}

function timeline(stages: StageTimeline[], status: OperationTimeline['status'], lastMs: number): OperationTimeline {
  return {
    id: 'op',
    status,
    createdAt: at(0),
    updatedAt: at(lastMs),
    elapsedMs: lastMs,
    stages,
    runningStages: stages.filter((s) => s.running).map((s) => s.stage),
  };
}

describe('console: gantt model', () => {
  const geo = stage('geo', [span(1, 100, 300, 'failed'), span(2, 400, 900, 'succeeded')], 'succeeded');
  const score = stage('score', [span(1, 120, 200, 'succeeded')], 'succeeded');
  const merge = stage('merge', [span(1, 950, null, 'running')], 'running');
  const skipped = stage('audit', [span(0, null, 50, 'skipped')], 'skipped');

  it('gives one bar per attempt, the earlier ones marked, running bars ending now', () => {
    const model = ganttModel(timeline([skipped, geo, score, merge], 'running', 950), T0 + 1500);
    expect(model.totalMs).toBe(1500);
    expect(model.lanes.map((l) => l.stage)).toEqual(['audit', 'geo', 'score', 'merge']);
    const [geoFirst, geoSecond] = model.lanes[1].bars;
    expect([geoFirst.startMs, geoFirst.endMs, geoFirst.earlier, geoFirst.of]).toEqual([100, 300, true, 2]);
    expect([geoSecond.startMs, geoSecond.endMs, geoSecond.earlier]).toEqual([400, 900, false]);
    expect(model.lanes[3].bars[0]).toMatchObject({ running: true, startMs: 950, endMs: 1500 });
    expect(model.lanes[3].durationMs).toBe(550);
    expect(model.lanes[0].bars[0]).toMatchObject({ marker: true, startMs: 50, endMs: 50 });
  });

  it('ends a finished operation at its last event, whatever the time now', () => {
    const model = ganttModel(timeline([geo, score], 'succeeded', 900), T0 + 60_000);
    expect(model.totalMs).toBe(900);
  });

  it('hides finished stages shorter than the threshold, never running ones', () => {
    const model = ganttModel(timeline([geo, score, merge, skipped], 'running', 950), T0 + 1000, 100);
    expect(model.lanes.map((l) => l.stage)).toEqual(['geo', 'merge']);
    expect(model.hidden).toEqual(['score', 'audit']);
  });

  it('places ticks on round values inside the window', () => {
    expect(ticks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 1e7, noNaN: true }),
        (from, span) => {
          const result = ticks(from, from + span, 6);
          expect(result.length).toBeGreaterThan(0);
          expect(result.length).toBeLessThanOrEqual(13);
          for (const tick of result) expect(tick >= from - 1e-6 && tick <= from + span + 1e-6).toBe(true);
        },
      ),
    );
  });

  it('clamps a zoom window into the axis', () => {
    expect(viewWindow(1000, null)).toEqual({ fromMs: 0, toMs: 1000 });
    expect(viewWindow(1000, { fromMs: 200, toMs: 5000 })).toEqual({ fromMs: 200, toMs: 1000 });
    expect(viewWindow(1000, { fromMs: -5, toMs: 10 })).toEqual({ fromMs: 0, toMs: 10 });
  });
});

describe('console: late events', () => {
  it('flags an event whose time is before one recorded earlier, from the time before the page on', () => {
    const events = [at(5), at(3), at(6), at(6), at(4)].map((time) => ({ time }));
    expect(lateFlags(events, null)).toEqual([false, true, false, false, true]);
    expect(lateFlags([{ time: at(1) }, { time: at(9) }], at(5))).toEqual([true, false]);
  });

  it('on any page split, agrees with the flags of the whole history', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (times, cut) => {
          const events = times.map((t) => ({ time: at(t * 1000) }));
          const whole = lateFlags(events, null);
          const split = cut % events.length;
          const before =
            split === 0 ? null : events.slice(0, split).reduce((max, e) => (e.time > max ? e.time : max), '');
          expect(lateFlags(events.slice(split), before)).toEqual(whole.slice(split));
        },
      ),
    );
  });
});

describe('console: history export', () => {
  it('quotes CSV fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"\nbye')).toBe('"say ""hi""\nbye"');
  });

  it('writes one line per event with the stage, the late flag and the data as JSON', () => {
    const line = csvLine(
      {
        specversion: '1.0',
        id: 'e-1',
        source: 'pipeline/geo',
        type: 'stage.failed',
        subject: 'op',
        time: at(0),
        data: { stage: 'geo', error: 'x,y' },
        version: 3,
        position: 77,
        recordedAt: at(5),
      },
      true,
    );
    expect(line).toBe(
      `3,${at(0)},${at(5)},stage.failed,geo,pipeline/geo,true,e-1,77,"{""stage"":""geo"",""error"":""x,y""}"`,
    );
  });
});

describe('console: list filters and URL state', () => {
  it('reads the URL, ignores unknown values, and writes back only what is set', () => {
    const filters = filtersOf(new URLSearchParams('status=failed,bogus,running&stage=geo&stageStatus=nope&source=s'));
    expect(filters).toMatchObject({ status: ['failed', 'running'], stage: 'geo', stageStatus: '', source: 's' });
    expect(queryOf(filters)).toEqual({
      status: 'failed,running',
      stage: 'geo',
      stageStatus: undefined,
      source: 's',
      updatedAfter: undefined,
      updatedBefore: undefined,
      idPrefix: undefined,
      cursor: undefined,
    });
    // A stage status without a stage would be refused by the API: it is dropped.
    expect(queryOf({ ...filters, stage: '', stageStatus: 'failed' }).stageStatus).toBeUndefined();
  });
});

describe('console: times and durations', () => {
  it('keeps microseconds', () => {
    expect(toMs('2026-11-25T16:00:00.123456Z') - toMs('2026-11-25T16:00:00.000000Z')).toBeCloseTo(123.456, 3);
  });

  it('formats and parses durations', () => {
    expect([850, 2350, 12_500, 245_000, 3_720_000].map(formatDuration)).toEqual([
      '850 ms',
      '2.35 s',
      '12.5 s',
      '4 m 05 s',
      '1 h 02 m',
    ]);
    expect(formatDuration(null)).toBe('–');
    expect([0, 0.25].map(formatDuration)).toEqual(['0 ms', '0.25 ms']);
    expect(['100ms', '1.5s', '2m', '5', 'abc', null].map(parseDuration)).toEqual([
      100,
      1500,
      120_000,
      null,
      null,
      null,
    ]);
  });
});

describe('console: compare', () => {
  it('aligns stages by name: the first operation’s order, then the second’s own ones', () => {
    const a = timeline(
      [stage('x', [span(1, 0, 100, 'succeeded')], 'succeeded'), stage('y', [span(1, 0, 50, 'succeeded')], 'succeeded')],
      'succeeded',
      100,
    );
    const b = timeline(
      [stage('z', [span(1, 0, 10, 'succeeded')], 'succeeded'), stage('x', [span(1, 0, 40, 'succeeded')], 'succeeded')],
      'succeeded',
      40,
    );
    expect(
      alignStages(a, b).map((row) => [row.stage, row.a?.stage ?? null, row.b?.stage ?? null, row.deltaMs]),
    ).toEqual([
      ['x', 'x', 'x', -60],
      ['y', 'y', null, null],
      ['z', null, 'z', null],
    ]);
  });
});
