import { type Admin, Kafka, logLevel } from 'kafkajs';
import { uniqueName } from '../../support/test-app';
import type { RecordPlacement } from './workload';

/** A Kafka admin client for reading a consumer group's committed offsets. */
export async function connectAdmin(brokers: string[]): Promise<Admin> {
  const admin = new Kafka({ clientId: uniqueName('offsets'), brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  return admin;
}

/** The next offset the group will consume, per partition (-1 where it never committed). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
}

export const isCommitted = (placement: RecordPlacement, committed: Map<number, number>): boolean =>
  placement.offset < (committed.get(placement.partition) ?? -1);

/** Acknowledged records the group has not committed yet: what a restart must still ingest. */
export function uncommittedRecords(
  placements: ReadonlyMap<string, RecordPlacement>,
  committed: Map<number, number>,
): number {
  let count = 0;
  for (const placement of placements.values()) if (!isCommitted(placement, committed)) count += 1;
  return count;
}

/** The event ids of the records `partition` holds in [first, last], as the producer placed them. */
export function eventIdsAt(
  placements: ReadonlyMap<string, RecordPlacement>,
  partition: number,
  first: number,
  last: number,
): string[] {
  return [...placements]
    .filter(([, p]) => p.partition === partition && p.offset >= first && p.offset <= last)
    .map(([eventId]) => eventId);
}
