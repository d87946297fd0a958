import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../src/config/app-config';

// Documentation that drifts from the code is worse than none: the configuration table must list
// exactly the variables the service reads.
const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README configuration table', () => {
  const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);

  it.each([...CONFIG_VARIABLES])('documents %s', (variable) => {
    expect(documented).toContain(variable);
  });

  it('documents no variable the service does not read', () => {
    expect(documented.filter((v) => !(CONFIG_VARIABLES as readonly string[]).includes(v))).toEqual([]);
  });
});
