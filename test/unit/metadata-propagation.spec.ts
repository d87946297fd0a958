import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { isMetadataPropagationError, retryWhilePropagating } from '../../src/ingest/kafka/metadata-propagation';

/** A protocol error as kafkajs builds it from a broker's error code (its constructor takes that entry). */
const protocolError = (type: string) =>
  new KafkaJSProtocolError({ name: type, message: `broker said ${type}`, type, code: 3, retriable: true } as Error);
/** What kafkajs throws once its own retries of a request are used up. */
const retriesExceeded = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 300 });

describe('isMetadataPropagationError', () => {
  it.each(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION'])(
    'recognises %s, bare or wrapped by kafkajs retries',
    (type) => {
      expect(isMetadataPropagationError(protocolError(type))).toBe(true);
      expect(isMetadataPropagationError(retriesExceeded(protocolError(type)))).toBe(true);
    },
  );

  it('refuses errors that a retry would not cure, and non-errors', () => {
    for (const type of ['TOPIC_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION', 'POLICY_VIOLATION']) {
      expect(isMetadataPropagationError(protocolError(type))).toBe(false);
    }
    expect(isMetadataPropagationError(new KafkaJSConnectionError('connect ECONNREFUSED'))).toBe(false);
    expect(isMetadataPropagationError(new Error('boom'))).toBe(false);
    expect(isMetadataPropagationError(null)).toBe(false);
    expect(isMetadataPropagationError('UNKNOWN_TOPIC_OR_PARTITION')).toBe(false);
  });

  it('accepts an aggregate only when every inner error is a propagation error', () => {
    const unknown = protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    expect(isMetadataPropagationError(new KafkaJSAggregateError('x', [unknown, unknown]))).toBe(true);
    expect(
      isMetadataPropagationError(
        new KafkaJSAggregateError('x', [unknown, protocolError('TOPIC_AUTHORIZATION_FAILED')]),
      ),
    ).toBe(false);
  });
});

describe('retryWhilePropagating', () => {
  /** A clock that only moves when the retry sleeps: no real time passes. */
  function fakeTime() {
    let now = 0;
    const waits: number[] = [];
    return {
      waits,
      now: () => now,
      sleep: async (ms: number) => {
        waits.push(ms);
        now += ms;
      },
    };
  }

  it('tries again until the topic is known everywhere, with growing waits', async () => {
    const time = fakeTime();
    let calls = 0;
    const result = await retryWhilePropagating(
      async () => {
        calls += 1;
        if (calls < 4) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION');
        return 'subscribed';
      },
      { ...time, timeoutMs: 60_000 },
    );
    expect(result).toBe('subscribed');
    expect(calls).toBe(4);
    expect(time.waits).toHaveLength(3);
    // Full-jitter backoff from 100 ms: each ceiling doubles, each wait is at least half its ceiling.
    time.waits.forEach((wait, attempt) => {
      expect(wait).toBeGreaterThanOrEqual((100 * 2 ** attempt) / 2);
      expect(wait).toBeLessThanOrEqual(100 * 2 ** attempt);
    });
  });

  it('fails at once on any other error', async () => {
    const time = fakeTime();
    const refused = protocolError('TOPIC_AUTHORIZATION_FAILED');
    await expect(retryWhilePropagating(() => Promise.reject(refused), { ...time, timeoutMs: 60_000 })).rejects.toBe(
      refused,
    );
    expect(time.waits).toEqual([]);
  });

  it('gives up with the last error at the deadline', async () => {
    const time = fakeTime();
    const unknown = protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    let calls = 0;
    await expect(
      retryWhilePropagating(
        () => {
          calls += 1;
          return Promise.reject(unknown);
        },
        { ...time, timeoutMs: 10_000 },
      ),
    ).rejects.toBe(unknown);
    expect(time.now()).toBeGreaterThanOrEqual(10_000);
    // Waits are capped at 2 s, so the deadline is reached in a bounded number of tries.
    expect(calls).toBeLessThan(20);
  });
});
