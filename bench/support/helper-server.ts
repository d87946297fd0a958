import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findFreePort } from '../../src/local-infra/free-port';
import { readProcessMemory } from './process-memory';
import { REPO_ROOT } from './service-process';

export interface HelperServer {
  baseUrl: string;
  pid: number;
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** Runs one of bench/servers/*.ts as its own process (like the service), on a free port. */
export async function startHelperServer(file: string, env: Record<string, string>): Promise<HelperServer> {
  const port = await findFreePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(REPO_ROOT, 'bench', 'servers', file)],
    { cwd: REPO_ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${file}`);
  let peak = 0;
  const sample = () => {
    const memory = child.pid === undefined ? null : readProcessMemory(child.pid);
    if (memory) peak = Math.max(peak, memory.peakRssMiB);
  };
  const stop = async () => {
    sample();
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${file} exited with ${child.exitCode}`);
    const answered = await fetch(`${baseUrl}/`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${file} did not start listening`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    baseUrl,
    pid,
    peakRssMiB: () => {
      sample();
      return peak;
    },
    stop,
  };
}
