import type { OperationEvent } from '../envelope/operation-event';
import type { AppendOutcome } from './append-outcome';

export type RejectedOutcome = Extract<AppendOutcome, { status: 'rejected' }>;

/** An event already in the log, as the append's read found it. */
export interface StoredEventRef {
  operationId: string;
  version: number;
  position: number;
  /** Its content digest (eventDigest); null for a row written outside the append, which is never compared. */
  digest?: string | null;
}

/** An event to write: its version, and the digest stored with it. */
export type PlannedEvent = OperationEvent & { version: number; digest: string };

export interface AppendPlan {
  /**
   * One per event, in order. Appended events and repeats of an event appended by this same plan
   * have position 0 until the write returns the positions. Every event of a refused unit carries
   * that unit's refusal (the outcome of the first event that was refused).
   */
  outcomes: AppendOutcome[];
  /** The events to write, with their versions and digests, in append order. */
  toInsert: PlannedEvent[];
}

/**
 * Decides what an append does, from what it read: which events are
 * duplicates (already stored, or earlier in the same append, with the same
 * content digest), which are refused (`id_conflict`: the id is taken by an
 * event with another digest, stored or earlier in the append;
 * `version_conflict`: `expectedVersion` is not the operation's version at that
 * point), and the version of each of the others. `digests[i]` is the content
 * digest of `events[i]` (eventDigest).
 *
 * `units` splits the events into consecutive all-or-nothing units (their
 * sizes, in order; each HTTP request is one): a unit with a refused event
 * stores nothing, as if it had never been there, so the units after it are
 * decided exactly as they would be had it been appended alone and refused.
 * Without `units`, every event is a unit of its own (the Kafka path).
 * The result is the same as deciding the units one after another, each
 * against the log as the previous ones left it.
 */
export function planAppend(
  events: readonly OperationEvent[],
  units: readonly number[] | undefined,
  headVersions: ReadonlyMap<string, number>,
  stored: ReadonlyMap<string, StoredEventRef>,
  digests: readonly string[],
): AppendPlan {
  if (digests.length !== events.length) throw new RangeError(`${digests.length} digests for ${events.length} events`);
  const outcomes: AppendOutcome[] = [];
  const toInsert: PlannedEvent[] = [];
  const nextVersion = new Map(headVersions);
  /** Event id → index in toInsert, for the events this plan appends. */
  const appendedHere = new Map<string, number>();
  const unitCount = units ? units.length : events.length;
  let start = 0;

  for (let unit = 0; unit < unitCount; unit += 1) {
    const end = start + (units ? units[unit] : 1);
    // What this unit changed, to be undone if it is refused.
    const versionsBefore = new Map<string, number | undefined>();
    const insertedBefore = toInsert.length;
    let refusal: RejectedOutcome | null = null;

    for (let index = start; index < end && refusal === null; index += 1) {
      const event = events[index];
      const digest = digests[index];
      const previous = stored.get(event.id);
      if (previous) {
        if (previous.digest != null && previous.digest !== digest) {
          refusal = idConflict(event, nextVersion.get(event.operationId) ?? 0, previous);
          continue;
        }
        const { operationId, version, position } = previous;
        outcomes.push({ status: 'duplicate', eventId: event.id, operationId, version, position });
        continue;
      }
      const earlier = appendedHere.get(event.id);
      if (earlier !== undefined) {
        // The same id earlier in this append: the repeat reports the first copy's version and position.
        const first = toInsert[earlier];
        if (first.digest !== digest) {
          refusal = idConflict(event, nextVersion.get(event.operationId) ?? 0, first);
          continue;
        }
        outcomes.push({
          status: 'duplicate',
          eventId: event.id,
          operationId: first.operationId,
          version: first.version,
          position: 0,
        });
        continue;
      }
      const head = nextVersion.get(event.operationId) ?? 0;
      if (event.expectedVersion !== null && event.expectedVersion !== head) {
        refusal = {
          status: 'rejected',
          eventId: event.id,
          operationId: event.operationId,
          headVersion: head,
          rejection: {
            reason: 'version_conflict',
            field: 'expectedversion',
            detail: `expectedversion ${event.expectedVersion} does not match the current version ${head} of operation ${event.operationId}`,
          },
        };
        continue;
      }
      if (!versionsBefore.has(event.operationId))
        versionsBefore.set(event.operationId, nextVersion.get(event.operationId));
      nextVersion.set(event.operationId, head + 1);
      appendedHere.set(event.id, toInsert.length);
      toInsert.push({ ...event, version: head + 1, digest });
      outcomes.push({
        status: 'appended',
        eventId: event.id,
        operationId: event.operationId,
        version: head + 1,
        position: 0,
      });
    }

    if (refusal !== null) {
      for (const event of toInsert.splice(insertedBefore)) appendedHere.delete(event.id);
      for (const [operationId, version] of versionsBefore) {
        if (version === undefined) nextVersion.delete(operationId);
        else nextVersion.set(operationId, version);
      }
      outcomes.length = start;
      for (let index = start; index < end; index += 1) outcomes.push(refusal);
    }
    start = end;
  }
  if (start !== events.length) throw new RangeError(`units cover ${start} of ${events.length} events`);
  return { outcomes, toInsert };
}

/** The refusal of an event whose id is taken by another event (stored, or earlier in the same append). */
function idConflict(
  event: OperationEvent,
  headVersion: number,
  holder: { operationId: string; version: number },
): RejectedOutcome {
  return {
    status: 'rejected',
    eventId: event.id,
    operationId: event.operationId,
    headVersion,
    conflictsWith: { operationId: holder.operationId, version: holder.version },
    rejection: {
      reason: 'id_conflict',
      field: 'id',
      detail:
        `event id "${event.id}" is already stored as version ${holder.version} of operation ${holder.operationId} ` +
        'with other content (type, source, subject, time or data differ); a new event needs a new id',
    },
  };
}

/** Fills in the positions the write assigned (to appended events and to repeats of them). */
export function withPositions(
  outcomes: readonly AppendOutcome[],
  positions: ReadonlyMap<string, number>,
): AppendOutcome[] {
  return outcomes.map((outcome) =>
    outcome.status !== 'rejected' && outcome.position === 0
      ? { ...outcome, position: positions.get(outcome.eventId) ?? 0 }
      : outcome,
  );
}
