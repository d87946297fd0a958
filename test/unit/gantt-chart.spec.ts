import type { OperationTimeline, StageTimeline } from '../../src/client/api-types';
import { GANTT_GLYPHS, renderGantt } from '../../src/cli/commands/render/gantt-chart';

const T0 = Date.UTC(2026, 10, 25, 16, 0, 0);
const at = (ms: number) => `${new Date(T0 + ms).toISOString().slice(0, 23)}000Z`;

function stage(name: string, fields: Partial<StageTimeline> & { from?: number; to?: number | null }): StageTimeline {
  const { from, to, ...rest } = fields;
  const running = rest.status === 'running';
  return {
    stage: name,
    status: 'succeeded',
    attempts: 1,
    attemptSpans: [],
    firstStartedAt: from === undefined ? null : at(from),
    lastStartedAt: from === undefined ? null : at(from),
    finishedAt: to === undefined || to === null ? null : at(to),
    durationMs: from === undefined ? null : (to ?? 1000) - from,
    running,
    ...rest,
  };
}

function timeline(stages: StageTimeline[], elapsedMs = 1000, status: OperationTimeline['status'] = 'succeeded') {
  return {
    id: 'op-1',
    status,
    createdAt: at(0),
    updatedAt: at(elapsedMs),
    elapsedMs,
    stages,
    runningStages: stages.filter((s) => s.running).map((s) => s.stage),
  } satisfies OperationTimeline;
}

/** The bar of a stage's row: what is between the two frame characters. */
function barOf(chart: string, name: string): string {
  const row = chart.split('\n').find((line) => line.startsWith(`${name} `))!;
  return row.slice(row.indexOf('│') + 1, row.lastIndexOf('│'));
}

describe('renderGantt', () => {
  it('places and sizes bars in proportion to time on a shared axis', () => {
    const chart = renderGantt(
      timeline([
        stage('ingest', { from: 0, to: 100 }),
        stage('enrich', { from: 100, to: 600 }),
        stage('publish', { from: 600, to: 1000 }),
      ]),
      { width: 20 },
    );
    expect(barOf(chart, 'ingest')).toBe(`${'█'.repeat(2)}${' '.repeat(18)}`);
    expect(barOf(chart, 'enrich')).toBe(`${' '.repeat(2)}${'█'.repeat(10)}${' '.repeat(8)}`);
    expect(barOf(chart, 'publish')).toBe(`${' '.repeat(12)}${'█'.repeat(8)}`);
    expect(chart.split('\n')[0]).toBe('operation op-1 · succeeded · 1.00 s');
    expect(chart).toMatch(/ingest\s+│.*│\s+100 ms\s+succeeded/);
  });

  it('shows earlier attempts of a retried stage lighter, and the attempt count', () => {
    const retried = stage('geo', { from: 0, to: 1000, attempts: 3, lastStartedAt: at(500) });
    const chart = renderGantt(timeline([retried]), { width: 10 });
    expect(barOf(chart, 'geo')).toBe(`${GANTT_GLYPHS.retried.repeat(5)}${GANTT_GLYPHS.done.repeat(5)}`);
    expect(chart).toMatch(/geo\s+│.*│\s+1\.00 s ×3\s+succeeded/);
  });

  it('ends a running stage in an arrow and a failed one in a cross, and says what is still running', () => {
    const chart = renderGantt(
      timeline(
        [
          stage('merge', { from: 0, to: 400, status: 'failed' }),
          stage('publish', { from: 400, to: null, status: 'running', durationMs: 600 }),
        ],
        1000,
        'running',
      ),
      { width: 10 },
    );
    expect(barOf(chart, 'merge')).toBe(`${'█'.repeat(3)}${GANTT_GLYPHS.failed}${' '.repeat(6)}`);
    expect(barOf(chart, 'publish')).toBe(
      `${' '.repeat(4)}${GANTT_GLYPHS.running.repeat(5)}${GANTT_GLYPHS.runningHead}`,
    );
    expect(chart.split('\n')[0]).toBe('operation op-1 · running · 1.00 s so far · 1 stage running');
  });

  it('gives a very short stage one cell, marks a never-started skipped stage where it was decided', () => {
    const chart = renderGantt(
      timeline([stage('blink', { from: 500, to: 501 }), stage('score', { status: 'skipped', finishedAt: at(750) })]),
      { width: 10 },
    );
    expect(barOf(chart, 'blink')).toBe('     █    ');
    expect(barOf(chart, 'score')).toBe(`       ${GANTT_GLYPHS.skipped}  `);
  });

  it('copes with an operation of zero length and with no stages, and cuts long stage names', () => {
    const instant = renderGantt(
      timeline([stage('a-very-long-stage-name-that-goes-on-and-on', { from: 0, to: 0 })], 0),
      {
        width: 10,
      },
    );
    expect(instant).toContain('a-very-long-stage-name-…');
    expect(barOf(instant, 'a-very-long-stage-name-…')).toBe(`█${' '.repeat(9)}`);
    expect(renderGantt(timeline([], 0, 'pending'), { width: 10 })).toContain('(no stage has reported yet)');
  });

  it('colours only when asked', () => {
    const rows = timeline([stage('a', { from: 0, to: 1000 })]);
    expect(renderGantt(rows, { width: 10 })).not.toContain('\x1b[');
    expect(renderGantt(rows, { width: 10, color: true })).toContain('\x1b[32m');
  });
});
