import * as fs from 'node:fs';

// The ends of the broker's logs, for the error a failed start reports.

export function tailLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export function tailOfFile(file: string, count: number): string {
  try {
    const { size } = fs.statSync(file);
    const fd = fs.openSync(file, 'r');
    try {
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      return tailLines(buffer.toString('utf8'), count);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * The ERROR/FATAL lines (with the exception message that follows each) near the end of a broker
 * log: a fatal startup error is followed by a long shutdown sequence that pushes it out of the tail.
 */
export function errorsNearEndOfFile(file: string, maxErrors: number): string {
  const lines = tailOfFile(file, 2_000).split('\n');
  const errors: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return;
    const next = lines[index + 1];
    errors.push(next && !next.startsWith('[') && !next.startsWith('\tat ') ? `${line}\n  ${next}` : line);
  });
  return errors.slice(-maxErrors).join('\n');
}
