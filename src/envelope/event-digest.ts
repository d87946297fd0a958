import { hash } from 'node:crypto';
import type { OperationEvent } from './operation-event';

/**
 * JSON with every object's keys in sorted order, so that two serialisations of
 * the same value (a producer that re-serialises, or `data` read back from
 * jsonb, which keeps keys in an order of its own) give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // Loops and string concatenation rather than map/join: this runs for every event appended.
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) {
      if (index > 0) text += ',';
      text += canonicalJson(value[index]);
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${text}}`;
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
  // One-shot crypto.hash: several times faster than createHash() for inputs this small.
  return hash('sha256', text, 'base64');
}
