import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../src/config/app-config';

// Documentation that drifts from the code is worse than none: the runbook's configuration table must
// list exactly the variables the service reads, and the README's short table only real ones.
const read = (file: string) => readFileSync(join(__dirname, '..', '..', file), 'utf8');
const tableVariables = (text: string) => [...text.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
const known = CONFIG_VARIABLES as readonly string[];

describe('configuration tables', () => {
  const runbook = tableVariables(read('docs/operations.md'));
  const readme = tableVariables(read('README.md'));

  it.each([...CONFIG_VARIABLES])('docs/operations.md documents %s', (variable) => {
    expect(runbook).toContain(variable);
  });

  it('document no variable the service does not read', () => {
    expect(runbook.filter((v) => !known.includes(v))).toEqual([]);
    expect(readme.filter((v) => !known.includes(v))).toEqual([]);
  });

  it('README keeps the ones needed to get started', () => {
    expect(readme).toEqual(expect.arrayContaining(['HOST', 'PORT', 'DATABASE_URL', 'KAFKA_BROKERS', 'API_KEYS']));
  });
});
