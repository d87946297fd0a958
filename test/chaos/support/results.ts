import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAOS_COMMAND, CHAOS_SIZE_NAME, type ChaosSizeName } from './chaos-size';

export const RESULTS_DIR = join(__dirname, '..', 'results');

/** The figures every ledger scenario reports; a column each in docs/reliability.md. */
export interface LedgerColumns {
  eventsSent: number;
  distinctEvents: number;
  stored: number;
  duplicated: number;
  lost: number;
  deadLettered: number;
  baselineStaleRows: number | null;
}

export interface ScenarioResult {
  /** File name and row key, e.g. "races". */
  scenario: string;
  /** Row order in the table (the scenario's number in issue #7). */
  order: number;
  title: string;
  size: ChaosSizeName;
  /** What the size means in this scenario, e.g. "5,000 operations, 16 producers". */
  sizeDescription: string;
  command: string;
  seed: number;
  finishedAt: string;
  durationMs: number;
  columns: LedgerColumns | null;
  /** Scenario-specific figures, shown in the table's last column. */
  figures: Record<string, number | string | boolean>;
}

/**
 * Written before the assertions run, so that a failing run still leaves its
 * figures behind; `npm run chaos:report` turns these files into the doc's table.
 */
export function writeResult(result: Omit<ScenarioResult, 'size' | 'command' | 'finishedAt'>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const full: ScenarioResult = {
    ...result,
    size: CHAOS_SIZE_NAME,
    command: CHAOS_COMMAND,
    finishedAt: new Date().toISOString(),
  };
  // Only full-size runs feed docs/reliability.md; a CI-size run must not overwrite their figures.
  const file =
    CHAOS_SIZE_NAME === 'full' ? `${result.scenario}.json` : `${result.scenario}.${CHAOS_SIZE_NAME}.json.tmp`;
  writeFileSync(join(RESULTS_DIR, file), `${JSON.stringify(full, null, 2)}\n`);
}

/** Milliseconds as seconds with one decimal, the precision the reliability table shows. */
export function toSeconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
