import type { SeededRandom } from './seeded-random';

/** One JSON document flowing through the simulated pipeline; its operation id is `id`. */
export interface DemoDocument {
  id: string;
  customer: string;
  country: string;
  amount: number;
  /** A document the validate stage refuses (a permanent failure, not retried). */
  malformed: boolean;
}

const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'NG'];

export function generateDocuments(runId: string, count: number, random: SeededRandom): DemoDocument[] {
  const digits = String(count).length;
  return Array.from({ length: count }, (_, index) => ({
    id: `doc-${runId}-${String(index + 1).padStart(digits, '0')}`,
    customer: random.pick(CUSTOMERS),
    country: random.pick(COUNTRIES),
    amount: Math.round(random.next() * 100_000) / 100,
    malformed: random.chance(0.04),
  }));
}
