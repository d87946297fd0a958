/**
 * An HTTP producer for the cluster scenarios that remembers what the service acknowledged, and
 * when: a failover must not lose an event whose POST was answered 2xx. It retries a 503 with the
 * same event id after the `Retry-After` the answer gives (the API's contract), and counts a 503
 * that names no `Retry-After` as a failure of the service.
 */
import {
  type ChaosEvent,
  generateOperations,
  type Random,
  type SentLedger,
  shuffle,
  sleep,
  type WriterControl,
} from './workload';

export interface AcknowledgedHttpStats {
  /** Every POST sent, retries included. */
  requests: number;
  /** Event id → when its 2xx arrived (ms since the epoch). */
  acknowledged: Map<string, number>;
  /** 503 answers, each followed by a retry of the same event. */
  unavailable: number;
  /** When each request that was answered 503 had been sent. */
  unavailableSentAt: number[];
  /** 503 answers without a usable Retry-After header. */
  missingRetryAfter: number;
  /** Any other answer, or a request that could not reach the service: each is a failure of the run. */
  failures: string[];
}

export const emptyAcknowledgedStats = (): AcknowledgedHttpStats => ({
  requests: 0,
  acknowledged: new Map(),
  unavailable: 0,
  unavailableSentAt: [],
  missingRetryAfter: 0,
  failures: [],
});

/** Seconds from a Retry-After header (delta-seconds form, the one the API uses), or null. */
export function retryAfterSeconds(header: string | null): number | null {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** POSTs one event until it is acknowledged; gives up (a failure) at the deadline or when abandoned. */
async function appendUntilAcknowledged(
  baseUrl: string,
  event: ChaosEvent,
  stats: AcknowledgedHttpStats,
  control: WriterControl,
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    stats.requests += 1;
    const sentAt = Date.now();
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/v1/operations/${encodeURIComponent(event.subject)}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
      });
    } catch (error) {
      // The service never stops in these scenarios: an unreachable service is a failure.
      stats.failures.push(`${event.id}: no answer (${String(error)})`);
      return;
    }
    const body = await response.text();
    if (response.status === 200 || response.status === 201) {
      stats.acknowledged.set(event.id, Date.now());
      return;
    }
    if (response.status === 503) {
      stats.unavailable += 1;
      stats.unavailableSentAt.push(sentAt);
      const wait = retryAfterSeconds(response.headers.get('retry-after'));
      if (wait === null) stats.missingRetryAfter += 1;
      if (Date.now() < deadline && !control.abandoned) {
        // Retry-After is the most a client should wait; these writers wait a quarter of it
        // (at least 100 ms), so that the run sees how soon the service takes writes again.
        await sleep(Math.max(100, ((wait ?? 1) * 1000) / 4));
        continue;
      }
    }
    stats.failures.push(`${event.id}: ${response.status} ${body.slice(0, 300)}`);
    return;
  }
}

/**
 * New operations one after another, each operation's events POSTed one at a time in shuffled
 * order (as parallel stages deliver them), until told to stop.
 */
export async function runAcknowledgingHttpWriter(
  baseUrl: string,
  prefix: string,
  ledger: SentLedger,
  random: Random,
  stats: AcknowledgedHttpStats,
  control: WriterControl,
  deadlineMs = 180_000,
): Promise<void> {
  while (!control.stopping && !control.abandoned) {
    const history = shuffle(random, generateOperations(prefix, 1, random, ledger));
    for (const { event } of history) {
      if (control.abandoned) return;
      await appendUntilAcknowledged(baseUrl, event, stats, control, deadlineMs);
    }
  }
}
