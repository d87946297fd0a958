/**
 * How big the chaos suite runs: `CHAOS_SIZE=full` (the default, the figures in
 * docs/reliability.md) or `CHAOS_SIZE=ci` (the same code paths with smaller
 * numbers, for CI's time budget). `CHAOS_SEED` replays a run's random choices.
 */
export type ChaosSizeName = 'full' | 'ci';

export interface ChaosSize {
  races: { operations: number; producers: number; duplicateRatio: number };
  /** `kills`: the random-timing ones, besides one at each failpoint; `rebuildPageSize`: rows per rebuild batch. */
  crashes: { kills: number; operationsPerRound: number; httpWriters: number; rebuildPageSize: number };
  postgresRestart: { operations: number };
  brokerRestart: { operations: number };
  poison: { validOperations: number; invalidRecords: number };
  httpFuzz: { requests: number };
  gracefulShutdown: { terms: number; operations: number };
  /** Rounds of each kind; Kafka producers and HTTP writers keep producing through all of them. */
  brokerLeaderLoss: { leaderKills: number; coordinatorKills: number; producers: number; httpWriters: number };
  postgresFailover: { failovers: number; httpWriters: number };
}

const SIZES: Record<ChaosSizeName, ChaosSize> = {
  full: {
    races: { operations: 5_000, producers: 16, duplicateRatio: 0.1 },
    crashes: { kills: 5, operationsPerRound: 60, httpWriters: 4, rebuildPageSize: 50 },
    postgresRestart: { operations: 1_000 },
    brokerRestart: { operations: 1_000 },
    poison: { validOperations: 300, invalidRecords: 2_000 },
    httpFuzz: { requests: 3_000 },
    gracefulShutdown: { terms: 3, operations: 600 },
    brokerLeaderLoss: { leaderKills: 3, coordinatorKills: 2, producers: 3, httpWriters: 2 },
    postgresFailover: { failovers: 3, httpWriters: 4 },
  },
  ci: {
    races: { operations: 400, producers: 16, duplicateRatio: 0.1 },
    crashes: { kills: 1, operationsPerRound: 30, httpWriters: 2, rebuildPageSize: 20 },
    postgresRestart: { operations: 200 },
    brokerRestart: { operations: 200 },
    poison: { validOperations: 40, invalidRecords: 300 },
    httpFuzz: { requests: 400 },
    gracefulShutdown: { terms: 1, operations: 200 },
    brokerLeaderLoss: { leaderKills: 0, coordinatorKills: 1, producers: 3, httpWriters: 1 },
    postgresFailover: { failovers: 2, httpWriters: 2 },
  },
};

function sizeName(): ChaosSizeName {
  const raw = process.env.CHAOS_SIZE ?? 'full';
  if (raw !== 'full' && raw !== 'ci') throw new Error(`CHAOS_SIZE must be "full" or "ci", got "${raw}"`);
  return raw;
}

export const CHAOS_SIZE_NAME: ChaosSizeName = sizeName();
export const CHAOS_SIZE: ChaosSize = SIZES[CHAOS_SIZE_NAME];
export const CHAOS_COMMAND = `CHAOS_SIZE=${CHAOS_SIZE_NAME} npm run test:chaos`;

/** One seed per test file run; printed into the results so that a failing run can be replayed. */
export function chaosSeed(): number {
  const fromEnv = process.env.CHAOS_SEED;
  if (fromEnv !== undefined) {
    const seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed)) throw new Error(`CHAOS_SEED must be an integer, got "${fromEnv}"`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
