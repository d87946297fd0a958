import * as fs from 'node:fs';
import * as path from 'node:path';
import { KAFKA_MAIN_CLASS } from './broker-config';

// One broker per dataDir: dataDir/broker.pid says which JVM serves it and which process started it.

export const STOP_GRACE_MS = 20_000;

/** dataDir/broker.pid: which JVM serves the dir and which Node process started it. */
export interface BrokerPidFile {
  brokerPid: number;
  ownerPid: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether pid is a live broker JVM for this properties file (guards against pid reuse). */
function isBrokerFor(pid: number, propertiesFile: string): boolean {
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(KAFKA_MAIN_CLASS) && commandLine.includes(propertiesFile);
  } catch {
    // No /proc (not Linux): liveness is the best available signal.
    return process.platform !== 'linux' && isAlive(pid);
  }
}

function parentPidOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function waitUntilGone(pid: number, propertiesFile: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isBrokerFor(pid, propertiesFile)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Refuses to start a second broker on a dataDir (Kafka would die on the log dir lock after
 * rewriting the running broker's config), but stops a broker orphaned by a Node process that
 * died without cleanup (e.g. SIGKILL), so a persistent dataDir heals on the next start.
 */
export async function claimDataDir(
  pidFile: string,
  propertiesFile: string,
  log: (line: string) => void,
): Promise<void> {
  let previous: BrokerPidFile;
  try {
    previous = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as BrokerPidFile;
  } catch {
    return;
  }
  const { brokerPid, ownerPid } = previous;
  if (!isBrokerFor(brokerPid, propertiesFile)) return;
  const parentPid = parentPidOf(brokerPid);
  const ownerStillOwnsIt = parentPid === undefined ? isAlive(ownerPid) : parentPid === ownerPid;
  if (ownerStillOwnsIt) {
    throw new Error(
      `a Kafka broker (pid ${brokerPid}, started by process ${ownerPid}) is already running on ${path.dirname(pidFile)}; stop it first or use another dataDir`,
    );
  }
  log(`[local-kafka] stopping broker pid ${brokerPid} orphaned by process ${ownerPid}`);
  process.kill(brokerPid, 'SIGTERM');
  if (!(await waitUntilGone(brokerPid, propertiesFile, STOP_GRACE_MS))) {
    process.kill(brokerPid, 'SIGKILL');
    await waitUntilGone(brokerPid, propertiesFile, 10_000);
  }
}
