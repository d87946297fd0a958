/**
 * Measurements the cluster scenarios take around a fault: how long readiness was not 200, and
 * when each Kafka partition stored again an event produced after the fault.
 */
import type { ServiceProcess } from '../../support/service-process';
import { queryDatabase } from '../../support/test-app';
import type { RecordPlacement } from './workload';
import { sleep } from './workload';

/** Polls /health/ready in the background and adds up the time it was not 200. */
export class ReadinessMonitor {
  notReadyMs = 0;
  polls = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly service: ServiceProcess,
    intervalMs = 250,
  ) {
    this.loop = this.run(intervalMs);
  }

  /** Stops polling; resolves with the total time readiness was seen other than 200. */
  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.notReadyMs;
  }

  private async run(intervalMs: number): Promise<void> {
    let last = Date.now();
    let wasReady = true;
    while (this.running) {
      const ready = await this.service.ready().then(
        (answer) => answer.status === 200,
        () => false,
      );
      const now = Date.now();
      // The interval since the last poll counts as not ready when both ends saw it not ready, half when one did.
      if (!ready || !wasReady) this.notReadyMs += ((now - last) * (Number(!ready) + Number(!wasReady))) / 2;
      this.polls += 1;
      wasReady = ready;
      last = now;
      await sleep(intervalMs);
    }
  }
}

/** The highest offset acknowledged so far on each partition, over all producers' placements. */
export function highestOffsets(placements: Iterable<Map<string, RecordPlacement>>): Map<number, number> {
  const highest = new Map<number, number>();
  for (const map of placements) {
    for (const { partition, offset } of map.values()) {
      if (offset > (highest.get(partition) ?? -1)) highest.set(partition, offset);
    }
  }
  return highest;
}

/** Per partition, ms from the fault until the first record produced after it was acknowledged, and until it was stored. */
export interface PartitionResume {
  acknowledgedMs: Map<number, number>;
  storedMs: Map<number, number>;
}

/**
 * Waits until every partition has stored an event produced after the fault (placed beyond
 * `before`); resolves with, per partition, when the broker acknowledged the first such record
 * (the producers' side of the recovery) and when one was seen stored (the service's side).
 */
export async function waitForEveryPartitionToResume({
  databaseUrl,
  partitions,
  placements,
  before,
  since,
  timeoutMs,
}: {
  databaseUrl: string;
  partitions: number[];
  placements: Map<string, RecordPlacement>[];
  before: Map<number, number>;
  since: number;
  timeoutMs: number;
}): Promise<PartitionResume> {
  const resumed = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (resumed.size < partitions.length) {
    if (Date.now() > deadline) {
      const waiting = partitions.filter((p) => !resumed.has(p));
      throw new Error(
        `partitions ${waiting.join(', ')} stored nothing produced after the fault within ${timeoutMs} ms`,
      );
    }
    const candidates = new Map<string, number>();
    const perPartition = new Map<number, number>();
    for (const map of placements) {
      for (const [eventId, { partition, offset }] of map) {
        if (resumed.has(partition) || offset <= (before.get(partition) ?? -1)) continue;
        const taken = perPartition.get(partition) ?? 0;
        if (taken >= 20) continue;
        perPartition.set(partition, taken + 1);
        candidates.set(eventId, partition);
      }
    }
    if (candidates.size > 0) {
      const stored = await queryDatabase<{ event_id: string }>(
        databaseUrl,
        'SELECT event_id FROM operation_events WHERE event_id = ANY($1::text[])',
        [[...candidates.keys()]],
      );
      const now = Date.now();
      for (const { event_id } of stored) {
        const partition = candidates.get(event_id)!;
        if (!resumed.has(partition)) resumed.set(partition, now - since);
      }
    }
    if (resumed.size < partitions.length) await sleep(200);
  }
  const acknowledged = new Map<number, number>();
  for (const map of placements) {
    for (const { partition, offset, acknowledgedAt } of map.values()) {
      if (offset <= (before.get(partition) ?? -1)) continue;
      const ms = acknowledgedAt - since;
      if (ms < (acknowledged.get(partition) ?? Infinity)) acknowledged.set(partition, ms);
    }
  }
  return { acknowledgedMs: acknowledged, storedMs: resumed };
}
