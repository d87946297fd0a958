export const SCENARIOS = ['ingest', 'latency', 'api', 'rebuild', 'scaling', 'http-append', 'reads', 'console'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: ScenarioName;
  /** Distinct events of the workload (ingest, rebuild); undefined means the scenario's default. */
  events: number | undefined;
  /** Sizes the scenario to finish in about a minute (a smoke test, not a measurement). */
  quick: boolean;
  /** Skip `npm run build` when dist/ is known to be current. */
  skipBuild: boolean;
  /** Leave the (slow) baseline out: for tuning runs, never for published figures. */
  skipBaseline: boolean;
}

const USAGE = `usage: npm run bench -- <${SCENARIOS.join('|')}> [--events N] [--quick] [--skip-build] [--skip-baseline]`;

export function parseArgs(argv: readonly string[]): BenchOptions {
  const [scenario, ...rest] = argv;
  if (!SCENARIOS.includes(scenario as ScenarioName)) throw new Error(USAGE);
  const options: BenchOptions = {
    scenario: scenario as ScenarioName,
    events: undefined,
    quick: false,
    skipBuild: false,
    skipBaseline: false,
  };
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--skip-build') options.skipBuild = true;
    else if (arg === '--skip-baseline') options.skipBaseline = true;
    else if (arg === '--events') {
      const raw = rest[(i += 1)] ?? '';
      if (!/^\d+$/.test(raw.replace(/_/g, ''))) throw new Error(`--events needs a whole number\n${USAGE}`);
      options.events = Number(raw.replace(/_/g, ''));
    } else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  return options;
}
