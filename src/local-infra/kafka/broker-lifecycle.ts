import type { ChildProcess } from 'node:child_process';

// Brokers started by this process. They are killed if the process goes away without stop().
const runningBrokers = new Set<ChildProcess>();
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllBrokersNow(): void {
  for (const child of runningBrokers) child.kill('SIGKILL');
}

/**
 * Node runs no 'exit' listeners when a signal kills it, so while a broker runs and nobody else
 * handles the signal, we do: ask the brokers to shut down, then die of the same signal as before.
 * If the application has its own handler it owns shutdown; the 'exit' hook remains the backstop.
 */
function onTerminationSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  for (const child of runningBrokers) child.kill('SIGTERM');
  uninstallProcessHooks();
  process.kill(process.pid, signal);
}

let processHooksInstalled = false;

function installProcessHooks(): void {
  if (processHooksInstalled) return;
  processHooksInstalled = true;
  process.on('exit', killAllBrokersNow);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onTerminationSignal);
}

function uninstallProcessHooks(): void {
  if (!processHooksInstalled) return;
  processHooksInstalled = false;
  process.removeListener('exit', killAllBrokersNow);
  for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, onTerminationSignal);
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    }
  }
  untrackBroker(child);
}

export function untrackBroker(child: ChildProcess): void {
  runningBrokers.delete(child);
  // With no broker left, give the process its normal signal behaviour back.
  if (runningBrokers.size === 0) uninstallProcessHooks();
}

/** Tracks a started broker: it is killed if this process goes away without stopping it. */
export function trackBroker(child: ChildProcess): void {
  runningBrokers.add(child);
  installProcessHooks();
}
