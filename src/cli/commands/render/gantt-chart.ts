import type { OperationTimeline, StageTimeline } from '../../../client/api-types';
import { formatDurationMs } from './durations';

export interface GanttOptions {
  /** Columns of the time axis (the bars), at least 10. */
  width: number;
  /** ANSI colours (green done, red failed, yellow running); the glyphs alone already tell them apart. */
  color?: boolean;
}

export const GANTT_GLYPHS = {
  /** The attempt that counts, succeeded (or the last attempt of a failed stage, see `failed`). */
  done: '█',
  /** Earlier attempts of a stage that was retried: from its first start to its last start. */
  retried: '░',
  running: '▒',
  /** The head of a running bar: it is still growing. */
  runningHead: '▶',
  failed: '✗',
  skipped: '◆',
} as const;

const MAX_NAME_WIDTH = 24;
const ANSI = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

function micros(time: string): number {
  return Date.parse(time.slice(0, 19) + 'Z') * 1000 + Number(time.slice(20, 26).padEnd(6, '0'));
}

/**
 * The stages of an operation as a text Gantt chart: one row per stage, bars
 * placed and sized on a shared time axis from the operation's first event to
 * its end (its last event, or now while it runs), so where the time went and
 * what still runs show at a glance. A retried stage shows its earlier attempts
 * lighter; a running stage ends in an arrow. Each row ends with the stage's
 * duration, attempts and status.
 */
export function renderGantt(timeline: OperationTimeline, options: GanttOptions): string {
  const width = Math.max(10, Math.floor(options.width));
  const paint = (text: string, color: keyof typeof ANSI) =>
    options.color && text !== '' ? `${ANSI[color]}${text}${ANSI.reset}` : text;
  const origin = micros(timeline.createdAt);
  const totalMs = Math.max(timeline.elapsedMs, 0);
  /** The column of an instant `ms` after the origin, in [0, width]. */
  const column = (ms: number) => (totalMs === 0 ? 0 : Math.min(width, Math.max(0, (ms * width) / totalMs)));
  const offsetMs = (time: string) => (micros(time) - origin) / 1000;

  const nameWidth = Math.min(
    MAX_NAME_WIDTH,
    Math.max('stage'.length, ...timeline.stages.map((stage) => stage.stage.length)),
  );
  const name = (text: string) =>
    (text.length > nameWidth ? `${text.slice(0, nameWidth - 1)}…` : text).padEnd(nameWidth);

  const rows = timeline.stages.map((stage) => {
    const cells = drawBar(stage, { width, column, offsetMs });
    const bar = cells.map(({ glyph, kind }) => paint(glyph, colorOf(kind))).join('');
    const attempts = stage.attempts > 1 ? `×${stage.attempts}` : '';
    const status = paint(stage.status, colorOf(stage.status === 'succeeded' ? 'done' : stage.status));
    return `${name(stage.stage)} │${bar}│ ${formatDurationMs(stage.durationMs).padStart(9)} ${attempts.padEnd(3)} ${status}`;
  });

  const totalLabel = formatDurationMs(totalMs);
  const axis = `${' '.repeat(nameWidth)}  0${' '.repeat(Math.max(1, width - 1 - totalLabel.length))}${totalLabel}`;
  const running = timeline.runningStages.length;
  const header =
    `operation ${timeline.id} · ${timeline.status} · ${formatDurationMs(totalMs)}` +
    (running > 0 ? ` so far · ${running} stage${running === 1 ? '' : 's'} running` : '');
  const legend =
    `${GANTT_GLYPHS.done} done  ${GANTT_GLYPHS.retried} earlier attempts  ` +
    `${GANTT_GLYPHS.running}${GANTT_GLYPHS.runningHead} running  ${GANTT_GLYPHS.failed} failed  ${GANTT_GLYPHS.skipped} skipped`;
  if (timeline.stages.length === 0) return `${header}\n(no stage has reported yet)`;
  return [header, axis, ...rows, paint(legend, 'dim')].join('\n');
}

type CellKind = 'empty' | 'done' | 'retried' | 'running' | 'failed' | 'skipped';

function colorOf(kind: CellKind | StageTimeline['status']): keyof typeof ANSI {
  if (kind === 'done' || kind === 'succeeded') return 'green';
  if (kind === 'failed') return 'red';
  if (kind === 'running') return 'yellow';
  return 'dim';
}

interface Axis {
  width: number;
  column: (ms: number) => number;
  offsetMs: (time: string) => number;
}

function drawBar(stage: StageTimeline, axis: Axis): { glyph: string; kind: CellKind }[] {
  const cells: { glyph: string; kind: CellKind }[] = Array.from({ length: axis.width }, () => ({
    glyph: ' ',
    kind: 'empty',
  }));
  const fill = (from: number, to: number, glyph: string, kind: CellKind) => {
    for (let i = Math.max(0, from); i < Math.min(axis.width, to); i += 1) cells[i] = { glyph, kind };
  };
  const at = (ms: number) => Math.min(axis.width - 1, Math.floor(axis.column(ms)));

  if (stage.firstStartedAt === null) {
    // Skipped (or failed) without ever starting: a mark where it was decided.
    if (stage.finishedAt !== null) {
      const mark = stage.status === 'failed' ? GANTT_GLYPHS.failed : GANTT_GLYPHS.skipped;
      fill(
        at(axis.offsetMs(stage.finishedAt)),
        at(axis.offsetMs(stage.finishedAt)) + 1,
        mark,
        stage.status === 'failed' ? 'failed' : 'skipped',
      );
    }
    return cells;
  }
  const startMs = axis.offsetMs(stage.firstStartedAt);
  const lastStartMs = axis.offsetMs(stage.lastStartedAt ?? stage.firstStartedAt);
  const endMs = startMs + (stage.durationMs ?? 0);
  const start = at(startMs);
  // Every stage that started gets at least one cell, however short it was.
  const end = Math.max(start + 1, Math.round(axis.column(endMs)));
  // Earlier attempts only when there were some: rounding alone must not draw one.
  const lastStart =
    stage.attempts > 1 ? Math.min(Math.max(start, Math.floor(axis.column(lastStartMs))), end - 1) : start;

  if (stage.status === 'skipped') {
    fill(start, end, GANTT_GLYPHS.skipped, 'skipped');
    return cells;
  }
  fill(start, lastStart, GANTT_GLYPHS.retried, 'retried');
  if (stage.running) {
    fill(lastStart, end, GANTT_GLYPHS.running, 'running');
    fill(end - 1, end, GANTT_GLYPHS.runningHead, 'running');
  } else if (stage.status === 'failed') {
    fill(lastStart, end, GANTT_GLYPHS.done, 'failed');
    fill(end - 1, end, GANTT_GLYPHS.failed, 'failed');
  } else {
    fill(lastStart, end, GANTT_GLYPHS.done, 'done');
  }
  return cells;
}
