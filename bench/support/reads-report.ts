/** The reads scenario's figures and its tables (plain text, and Markdown for docs/benchmarks.md). */
import type { CheckResult } from '../workload/read-checks';
import type { DataFacts, ReadGroup } from '../workload/operator-reads';
import type { ReadVerdict } from './read-bar';
import { type Cell, formatNumber, printTable } from './report';

export interface ReadFigures {
  name: string;
  group: ReadGroup;
  /** One path the read was timed with (per-operation reads use a new random id per call). */
  example: string;
  outcome: 'ok' | 'missing' | 'error';
  status: number;
  calls: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** What the last answer held: rows on the page ("50+" = a next page exists), a total, events. */
  found: string | null;
  /** Operations the list read's filters match in the data (counted with SQL), null for other reads. */
  matching: number | null;
  /** The start of the answer's body when it was not a 2xx. */
  problem: string | null;
}

export interface SizeFigures {
  /** Events in the log (rare operations' included). */
  events: number;
  /** The workload size this step grew to (100k, 1M, 10M). */
  workloadEvents: number;
  operations: number;
  rareOperations: number;
  load: {
    eventsAdded: number;
    copySeconds: number;
    indexSeconds: number;
    rebuildSeconds: number;
    /** Filling the source index for the events added (null: the commit has none), see append-only-read-models.ts. */
    sourceIndexSeconds: number | null;
    vacuumAnalyzeSeconds: number;
    newestEventTime: string;
    loadAverageAtStart: number[];
  };
  loadAverageAtReads: number[];
  loadAverageAfterReads: number[];
  facts: DataFacts;
  reads: ReadFigures[];
  checks: Record<string, CheckResult | null>;
  plans: { read: string; p95Ms: number | null; path: string; plans: string[] }[];
}

export function sizeLabel(events: number): string {
  return events >= 1_000_000 ? `${events / 1_000_000}M` : `${events / 1000}k`;
}

function latencyCell(read: ReadFigures | undefined): Cell {
  if (!read) return null;
  if (read.outcome !== 'ok') return read.outcome === 'missing' ? 'missing' : `error ${read.status}`;
  return read.p95Ms;
}

function verdictCell(verdict: ReadVerdict): string {
  if (verdict.verdict === 'met' || verdict.verdict === 'missed') {
    const misses = [!verdict.meetsP95 && 'p95', !verdict.meetsGrowth && 'growth'].filter(Boolean).join('+');
    return verdict.verdict === 'met' ? 'met' : `MISSED (${misses})`;
  }
  return verdict.verdict;
}

interface Row {
  name: string;
  cells: Cell[];
}

function rows(sizes: SizeFigures[], verdicts: ReadVerdict[]): Row[] {
  const largest = sizes[sizes.length - 1];
  return verdicts.map((verdict) => {
    const perSize = sizes.map((size) => size.reads.find((r) => r.name === verdict.read));
    const atLargest = largest.reads.find((r) => r.name === verdict.read);
    const cells: Cell[] = [];
    for (const read of perSize) cells.push(read?.outcome === 'ok' ? read.p50Ms : null, latencyCell(read));
    cells.push(
      verdict.growth === null ? null : Math.round(verdict.growth * 100) / 100,
      verdictCell(verdict),
      atLargest?.found ?? null,
      atLargest?.matching ?? null,
    );
    return { name: verdict.read, cells };
  });
}

function header(sizes: SizeFigures[]): string[] {
  return [
    'read',
    ...sizes.flatMap((s) => [`${sizeLabel(s.workloadEvents)} p50`, `${sizeLabel(s.workloadEvents)} p95`]),
    'growth',
    'bar',
    'found',
    'matching',
  ];
}

export function printReadTables(sizes: SizeFigures[], verdicts: ReadVerdict[]): void {
  const largest = sizes[sizes.length - 1];
  printTable(
    `reads: ms, sequential calls; bar: p95 <= 20 ms at ${sizeLabel(largest.workloadEvents)} and <= 2 x p95 at ` +
      `${sizeLabel(sizes[0].workloadEvents)}; found/matching at ${sizeLabel(largest.workloadEvents)}`,
    header(sizes),
    rows(sizes, verdicts).map((row) => [row.name, ...row.cells]),
  );
  printTable(
    'reads: the data and its load',
    ['size', 'events', 'operations', 'COPY s', 'indexes s', 'replay s', 'VACUUM s', 'load avg at reads', 'checks'],
    sizes.map((s) => [
      sizeLabel(s.workloadEvents),
      s.events,
      s.operations,
      s.load.copySeconds,
      s.load.indexSeconds,
      s.load.rebuildSeconds,
      s.load.vacuumAnalyzeSeconds,
      s.loadAverageAtReads.join(' '),
      Object.entries(s.checks)
        .map(([name, check]) => `${name}: ${check === null ? 'n/a' : check.agrees ? 'agrees' : 'DISAGREES'}`)
        .join(', '),
    ]),
  );
  console.log('\nMarkdown (docs/benchmarks.md):\n');
  console.log(markdownTable(sizes, verdicts));
}

export function markdownTable(sizes: SizeFigures[], verdicts: ReadVerdict[]): string {
  const text = (cell: Cell) => (cell === null ? '' : typeof cell === 'number' ? formatNumber(cell) : cell);
  const head = header(sizes);
  const align = head.map((_, i) => (i === 0 || i >= head.length - 3 ? '---' : '---:'));
  align[head.length - 1] = '---:';
  const lines = [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const row of rows(sizes, verdicts)) lines.push(`| ${[`\`${row.name}\``, ...row.cells.map(text)].join(' | ')} |`);
  return lines.join('\n');
}
