import { createHash } from 'node:crypto';
import type { OperationEvent } from './operation-event';

/**
 * JSON with every object's keys in sorted order, so that two serialisations of
 * the same value (a producer that re-serialises, or `data` read back from
 * jsonb, which keeps keys in an order of its own) give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** The attributes that make an event what it is; `expectedversion` is a condition on the append, not content. */
export type DigestedAttributes = Pick<OperationEvent, 'type' | 'source' | 'operationId' | 'time' | 'data'>;

/**
 * A canonical digest (SHA-256, base64) of an event's content: type, source,
 * subject (the operation id), time (canonical: UTC, microseconds) and data
 * (canonical JSON). Two events with one id are the same event exactly when
 * their digests are equal; stored with each event (operation_events.digest).
 */
export function eventDigest(event: DigestedAttributes): string {
  const text = canonicalJson([event.type, event.source, event.operationId, event.time, event.data ?? null]);
  return createHash('sha256').update(text, 'utf8').digest('base64');
}
