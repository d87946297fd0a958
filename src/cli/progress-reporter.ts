const BAR_WIDTH = 24;
const RATE_WINDOW_MS = 10_000;
const TTY_REDRAW_MS = 100;
const PLAIN_LINE_EVERY_MS = 5_000;

export interface ProgressFrame {
  label: string;
  phase: string | null;
  done: number;
  total: number | null;
  unit: 'events' | 'bytes';
  /** Per second, over the last few seconds; null until there are two samples. */
  rate: number | null;
}

export function formatCount(value: number, unit: ProgressFrame['unit']): string {
  if (unit === 'bytes') return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  return value.toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

function etaOf(frame: ProgressFrame): string {
  if (frame.total === null || frame.rate === null || frame.rate <= 0) return 'ETA --:--';
  return `ETA ${formatDuration(Math.max(frame.total - frame.done, 0) / frame.rate)}`;
}

function rateOf(frame: ProgressFrame): string {
  if (frame.rate === null) return '';
  return frame.unit === 'bytes'
    ? `${formatCount(frame.rate, 'bytes')}/s`
    : `${Math.round(frame.rate).toLocaleString('en-US')} ev/s`;
}

function percentOf(frame: ProgressFrame): number | null {
  if (frame.total === null) return null;
  return frame.total === 0 ? 100 : Math.min(100, Math.floor((100 * frame.done) / frame.total));
}

/** One line for a terminal: `rebuild job 3 [bulk] [#####-----]  52%  520,000/1,000,000 events  48,200 ev/s  ETA 0:10`. */
export function renderBar(frame: ProgressFrame): string {
  const percent = percentOf(frame);
  const filled = percent === null ? 0 : Math.round((BAR_WIDTH * percent) / 100);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const amount =
    frame.total === null
      ? formatCount(frame.done, frame.unit)
      : `${formatCount(frame.done, frame.unit)}/${formatCount(frame.total, frame.unit)}${frame.unit === 'events' ? ' events' : ''}`;
  return [
    frame.label,
    frame.phase ? `[${frame.phase}]` : '',
    bar,
    percent === null ? '' : `${String(percent).padStart(3)}%`,
    amount,
    rateOf(frame),
    etaOf(frame),
  ]
    .filter((part) => part !== '')
    .join('  ');
}

/** One line for a log file: `rebuild job 3: bulk 52% (520,000/1,000,000 events), 48,200 ev/s, ETA 0:10`. */
export function renderLine(frame: ProgressFrame): string {
  const percent = percentOf(frame);
  const amount =
    frame.total === null
      ? formatCount(frame.done, frame.unit)
      : `${formatCount(frame.done, frame.unit)}/${formatCount(frame.total, frame.unit)}`;
  const parts = [
    `${frame.phase ?? ''}${percent === null ? '' : ` ${percent}%`} (${amount}${frame.unit === 'events' ? ' events' : ''})`.trim(),
    rateOf(frame),
    etaOf(frame),
  ].filter((part) => part !== '');
  return `${frame.label}: ${parts.join(', ')}`;
}

/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, otherwise a
 * plain line every few seconds and at each phase change, so logs stay readable.
 */
export class ProgressReporter {
  private readonly samples: { at: number; done: number }[] = [];
  private lastDrawAt = 0;
  private lastPhase: string | null = null;
  private barShown = false;

  constructor(
    private readonly label: string,
    private readonly unit: ProgressFrame['unit'],
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  update(done: number, total: number | null, phase: string | null = null): void {
    const at = this.now();
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - this.samples[0].at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const rate = at > first.at ? ((done - first.done) * 1000) / (at - first.at) : null;
    const frame: ProgressFrame = { label: this.label, phase, done, total, unit: this.unit, rate };
    const phaseChanged = phase !== this.lastPhase;
    this.lastPhase = phase;
    if (this.stream.isTTY) {
      if (!phaseChanged && at - this.lastDrawAt < TTY_REDRAW_MS) return;
      this.stream.write(`\r\x1b[2K${renderBar(frame)}`);
      this.barShown = true;
    } else {
      if (!phaseChanged && at - this.lastDrawAt < PLAIN_LINE_EVERY_MS) return;
      this.stream.write(`${renderLine(frame)}\n`);
    }
    this.lastDrawAt = at;
  }

  /** Ends the bar's line, so that what follows starts on a fresh one. */
  finish(): void {
    if (this.barShown) this.stream.write('\n');
    this.barShown = false;
  }
}
