/**
 * kafkajs looks the group coordinator up only when it joins the group. When the coordinator's
 * broker dies, offset commits and heartbeats keep going to that broker (refused, then "broker not
 * found" once the cluster has fenced it): every batch is stored, its commit fails, and the same
 * batches are fetched again from the last committed offset, until the dead broker comes back
 * (the fix, tulios/kafkajs PR #1779, is not released). A commit or heartbeat that fails that way
 * is therefore answered with the error kafkajs treats as "rejoin", and the rejoin finds the new
 * coordinator (test/chaos/broker-leader-loss.chaos.ts).
 */
import { KafkaJSProtocolError } from 'kafkajs';

/** Protocol answers (kafkajs' names) meaning "the coordinator is elsewhere or not there yet". */
const COORDINATOR_ERROR_TYPES = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** Failures to reach the broker at all (kafkajs' error names). */
const UNREACHABLE_ERROR_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

/** The type kafkajs' consumer answers with a rejoin (its `isRebalancing`). */
export const REJOIN_ERROR_TYPE = 'NOT_COORDINATOR_FOR_GROUP';

/** Whether a failed commit or heartbeat says the coordinator it went to is gone (or the error wraps such a failure). */
export function isCoordinatorUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as { name?: unknown; type?: unknown; cause?: unknown };
  if (typeof candidate.type === 'string' && COORDINATOR_ERROR_TYPES.has(candidate.type)) return true;
  if (typeof candidate.name === 'string' && UNREACHABLE_ERROR_NAMES.has(candidate.name)) return true;
  return (
    candidate.cause !== undefined && candidate.cause !== error && isCoordinatorUnreachable(candidate.cause, depth + 1)
  );
}

/** The error to throw from the batch handler so that kafkajs rejoins the group and finds the coordinator again. */
export function rejoinRequest(what: string, error: unknown): Error {
  return new KafkaJSProtocolError({
    name: 'KafkaJSProtocolError',
    message: `${what} failed, the group coordinator is unreachable (${String(error)}): rejoining to find the new one`,
    type: REJOIN_ERROR_TYPE,
    code: 16,
    retriable: true,
  } as Error);
}
