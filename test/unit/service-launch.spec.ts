import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NODE_ARGS } from '../../bench/support/service-process';

// The ingest benchmark's peak RSS holds only for the service launched as deployed: the Dockerfile,
// `npm start` and the benchmark must give Node the same flags (the heap limit above all).
const root = join(__dirname, '..', '..');

describe('how the service is launched', () => {
  it('sets a heap limit', () => {
    expect(SERVICE_NODE_ARGS).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });

  it('the Dockerfile runs it with the benchmark’s Node flags', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', ...SERVICE_NODE_ARGS, 'dist/main.js']);
  });

  it('npm start runs it with the benchmark’s Node flags', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.start).toBe(['node', ...SERVICE_NODE_ARGS, 'dist/main.js'].join(' '));
  });
});
