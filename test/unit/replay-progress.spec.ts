import { formatDuration, ProgressReporter, renderBar, renderLine } from '../../src/cli/progress-reporter';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
}

describe('CLI progress', () => {
  it('renders a bar with percentage, counts, rate and ETA', () => {
    const frame = {
      label: 'rebuild job 3',
      phase: 'bulk',
      done: 520_000,
      total: 1_000_000,
      unit: 'events' as const,
      rate: 48_000,
    };
    expect(renderBar(frame)).toBe(
      'rebuild job 3  [bulk]  [############------------]   52%  520,000/1,000,000 events  48,000 ev/s  ETA 0:10',
    );
    expect(renderLine(frame)).toBe('rebuild job 3: bulk 52% (520,000/1,000,000 events), 48,000 ev/s, ETA 0:10');
    expect(renderLine({ ...frame, rate: null })).toBe('rebuild job 3: bulk 52% (520,000/1,000,000 events), ETA --:--');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(9.6)).toBe('0:10');
    expect(formatDuration(125)).toBe('2:05');
    expect(formatDuration(3 * 3600 + 62)).toBe('3:01:02');
  });

  it('redraws one line on a terminal and writes throttled plain lines otherwise', () => {
    let now = 0;
    const tty = fakeStream(true);
    const bar = new ProgressReporter('job', 'events', tty.stream, () => now);
    bar.update(0, 100, 'bulk');
    now = 1000;
    bar.update(50, 100, 'bulk');
    bar.finish();
    expect(tty.writes[0].startsWith('\r\x1b[2K')).toBe(true);
    expect(tty.writes[1]).toContain('50 ev/s');
    expect(tty.writes[1]).toContain('ETA 0:01');
    expect(tty.writes[2]).toBe('\n');

    const plain = fakeStream(false);
    const lines = new ProgressReporter('job', 'events', plain.stream, () => now);
    now = 0;
    lines.update(0, 100, 'bulk');
    now = 1000;
    lines.update(10, 100, 'bulk'); // too soon for another line
    now = 6000;
    lines.update(60, 100, 'bulk');
    lines.update(60, 100, 'swap'); // a phase change is always shown
    expect(plain.writes).toEqual([
      'job: bulk 0% (0/100 events), ETA --:--\n',
      'job: bulk 60% (60/100 events), 10 ev/s, ETA 0:04\n',
      'job: swap 60% (60/100 events), 10 ev/s, ETA 0:04\n',
    ]);
    expect(plain.writes.join('')).not.toContain('\r');
  });
});
