import { FAILPOINT_HIT_PREFIX, type FailpointHit, type FailpointName } from '../../../src/common/failpoints';
import type { ServiceProcess } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';

/** The environment of a launch with failpoints armed (the service refuses them unless NODE_ENV=test). */
export const armed = (plan: string): Record<string, string> => ({ NODE_ENV: 'test', OPLEDGER_FAILPOINTS: plan });

/**
 * Every failpoint hit the service reports (one stderr line each, written before
 * the action), across all its incarnations: what the chaos scenarios check to
 * know that a fault landed where it was aimed.
 */
export class FailpointHits {
  readonly all: FailpointHit[] = [];

  constructor(service: ServiceProcess) {
    service.onLine((line) => {
      const at = line.indexOf(FAILPOINT_HIT_PREFIX);
      if (at >= 0) this.all.push(JSON.parse(line.slice(at + FAILPOINT_HIT_PREFIX.length)) as FailpointHit);
    });
  }

  /** A mark to wait for hits after. */
  get count(): number {
    return this.all.length;
  }

  /** Hits per failpoint name, for the results file. */
  byName(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const hit of this.all) counts[hit.name] = (counts[hit.name] ?? 0) + 1;
    return counts;
  }

  /** The first hit of `name` reported after `mark`; fails the scenario if none comes in time. */
  async next(name: FailpointName, mark: number, timeoutMs: number): Promise<FailpointHit> {
    const find = () => this.all.slice(mark).find((hit) => hit.name === name);
    await waitFor(`failpoint ${name} to be hit`, () => find() !== undefined, { timeoutMs, intervalMs: 20 });
    return find()!;
  }
}

/**
 * Launches an incarnation with `plan` armed and waits for it to crash at
 * `name`: the hit must be reported, and the process must then die of its own
 * SIGKILL. Returns the hit (its detail says where it struck).
 */
export async function launchAndCrashAt(
  service: ServiceProcess,
  hits: FailpointHits,
  plan: string,
  name: FailpointName,
  { timeoutMs = 180_000, whenLive }: { timeoutMs?: number; whenLive?: () => Promise<unknown> } = {},
): Promise<FailpointHit> {
  const mark = hits.count;
  await service.launch(armed(plan), { untilReady: false });
  if (whenLive) {
    // Serving HTTP is enough here: waiting for the consumer to join the group would only add time.
    await waitFor(
      'the service to answer',
      async () => (await fetch(`${service.url}/health/live`).catch(() => null))?.status === 200,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await whenLive();
  }
  const hit = await hits.next(name, mark, timeoutMs);
  if (hit.action !== 'crash') throw new Error(`failpoint ${name} was hit with ${hit.action}, expected crash`);
  const ended = await service.waitForExit(30_000);
  if (ended.signal !== 'SIGKILL')
    throw new Error(`after the crash at ${name} the service ended with ${JSON.stringify(ended)}`);
  return hit;
}
