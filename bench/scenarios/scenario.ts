import type { BenchOptions } from '../support/cli';
import type { BenchInfrastructure } from '../support/infrastructure';

export interface ScenarioContext {
  options: BenchOptions;
  infrastructure: BenchInfrastructure;
  /** A name unique to this run, for topics, groups and databases. */
  runId: string;
}

/** A scenario measures ours, a baseline and a ceiling, prints a table and returns its figures. */
export type Scenario = (context: ScenarioContext) => Promise<Record<string, unknown>>;

export function progress(line: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}
