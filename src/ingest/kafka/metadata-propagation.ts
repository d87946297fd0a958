/**
 * In a Kafka cluster of several brokers, a topic just created is known to the controller first
 * and to each broker a moment later; until then a broker answers metadata requests for it with
 * UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE. kafkajs gives up on the first of these in
 * `createTopics({ waitForLeaders: true })` and in `consumer.subscribe()` (tulios/kafkajs#815), so
 * a service starting against a fresh cluster failed to start. These are retried here until the
 * topic is known everywhere. With a single broker they never occur.
 */
import { backoffDelayMs } from '../retry-backoff';

/** Protocol error types (kafkajs' names) that mean "not known here yet", not "wrong". */
const PROPAGATION_ERROR_TYPES = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

interface ErrorLike {
  type?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Whether the error (or what it wraps: kafkajs' retry and aggregate errors) is only metadata not yet propagated. */
export function isMetadataPropagationError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as ErrorLike;
  if (typeof candidate.type === 'string' && PROPAGATION_ERROR_TYPES.has(candidate.type)) return true;
  if (Array.isArray(candidate.errors) && candidate.errors.length > 0) {
    return candidate.errors.every((inner) => isMetadataPropagationError(inner, depth + 1));
  }
  return candidate.cause !== undefined && isMetadataPropagationError(candidate.cause, depth + 1);
}

export interface PropagationRetryOptions {
  timeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (attempt: number, error: unknown) => void;
}

/** Runs `work` again while it fails with a propagation error, with backoff, until `timeoutMs`. */
export async function retryWhilePropagating<T>(
  work: () => Promise<T>,
  {
    timeoutMs = 60_000,
    now = Date.now,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onRetry = () => undefined,
  }: PropagationRetryOptions = {},
): Promise<T> {
  const deadline = now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isMetadataPropagationError(error) || now() >= deadline) throw error;
      onRetry(attempt + 1, error);
      await sleep(backoffDelayMs(attempt, 100, 2_000));
    }
  }
}
