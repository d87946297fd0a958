/**
 * Ours: the service's own full rebuild, `opledger replay` (dist/cli/opledger.js),
 * run as its own process so that its peak RSS can be read like the service's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readProcessMemory } from '../support/process-memory';
import { serviceDist, spawnFromBuild } from '../support/service-process';

const CLI = join('cli', 'opledger.js');

export async function runServiceRebuild(databaseUrl: string): Promise<{ seconds: number; peakRssMiB: number }> {
  if (!existsSync(join(serviceDist(), CLI))) {
    throw new Error(`rebuild not implemented yet: dist/${CLI} (the \`opledger replay\` command) does not exist`);
  }
  const started = Date.now();
  const child = spawnFromBuild(CLI, ['replay'], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  let peak = 0;
  const sampler = setInterval(() => {
    const memory = child.pid === undefined ? null : readProcessMemory(child.pid);
    if (memory) peak = Math.max(peak, memory.peakRssMiB);
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`opledger replay exited with ${code}`);
  return { seconds: (Date.now() - started) / 1000, peakRssMiB: peak };
}
