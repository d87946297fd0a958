import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineFacts } from './machine';
import { REPO_ROOT } from './service-process';

export type Cell = string | number | null;

/** Prints rows as an aligned plain-text table (numbers right-aligned). */
export function printTable(title: string, header: string[], rows: Cell[][]): void {
  const text = (cell: Cell) => (cell === null ? '-' : typeof cell === 'number' ? formatNumber(cell) : cell);
  const cells = [header, ...rows.map((row) => row.map(text))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[], source: Cell[] | null) =>
    row
      .map((cell, column) =>
        source && typeof source[column] === 'number' ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header, null));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((row, index) => console.log(line(cells[index + 1], row)));
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface ScenarioResult {
  scenario: string;
  command: string;
  quick: boolean;
  machine: MachineFacts;
  [figure: string]: unknown;
}

/** Writes bench/results/<scenario>[-<variant>].json (through a .tmp file, so a crash leaves no half file). */
export function writeResult(result: ScenarioResult, variant: string | null): string {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Partial (tuning) runs end in .tmp, which git ignores: only complete runs are worth keeping.
  const file = join(
    dir,
    `${result.scenario}${variant ? `-${variant}` : ''}.json${variant === 'partial' ? '.tmp' : ''}`,
  );
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(staging, file);
  return file;
}
