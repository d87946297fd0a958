import { checkInteger, INTEGER_KINDS, rangeMessage } from '../common/integer-range';
import { canonicalTime } from './event-time';
import { JsonObject, OperationEvent, STAGE_EVENT_TYPES } from './operation-event';

/** Why an input was refused; the same words go into the dead-letter headers and table. */
export type RejectionReason =
  | 'invalid_json'
  | 'invalid_envelope'
  | 'oversize_data'
  | 'key_mismatch'
  | 'time_in_future'
  | 'version_conflict'
  | 'id_conflict'
  | 'unstorable';

export interface Rejection {
  reason: RejectionReason;
  /** The attribute at fault, when there is one. */
  field?: string;
  detail: string;
}

export type ParseResult = { ok: true; event: OperationEvent } | { ok: false; rejection: Rejection };

export interface EnvelopeLimits {
  maxDataBytes: number;
}

export const DEFAULT_ENVELOPE_LIMITS: EnvelopeLimits = { maxDataBytes: 256 * 1024 };

const OPERATION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export function isValidOperationId(value: unknown): value is string {
  return typeof value === 'string' && OPERATION_ID.test(value);
}

function invalid(field: string, detail: string): ParseResult {
  return { ok: false, rejection: { reason: 'invalid_envelope', field, detail } };
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one structured-mode CloudEvent (already JSON-decoded).
 * `dataBytes` is the serialised size of `data` when the caller already knows it.
 */
export function parseCloudEvent(input: unknown, limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS): ParseResult {
  if (!isPlainObject(input)) return invalid('(root)', 'the event must be a JSON object');
  const { specversion, id, source, type, subject, time, data, expectedversion } = input;

  if (specversion !== '1.0') return invalid('specversion', 'specversion must be the string "1.0"');
  if (typeof id !== 'string' || id.length < 1 || id.length > 200) {
    return invalid('id', 'id must be a string of 1 to 200 characters');
  }
  if (typeof source !== 'string' || source.length < 1) {
    return invalid('source', 'source must be a non-empty string naming the producing service');
  }
  if (typeof type !== 'string' || type.length < 1 || type.length > 200) {
    return invalid('type', 'type must be a string of 1 to 200 characters');
  }
  if (!isValidOperationId(subject)) {
    return invalid('subject', 'subject (the operation id) must be 1 to 200 characters of [A-Za-z0-9._:-]');
  }
  if (typeof time !== 'string') return invalid('time', 'time is required (RFC 3339)');
  const canonical = canonicalTime(time);
  if (canonical === null) return invalid('time', `time "${time.slice(0, 60)}" is not an RFC 3339 timestamp`);

  for (const [field, value] of [
    ['id', id],
    ['source', source],
    ['type', type],
  ] as const) {
    const problem = unstorableText(value);
    if (problem) return invalid(field, `${field} must not contain ${problem}`);
  }

  let eventData: JsonObject | null = null;
  if (data !== undefined && data !== null) {
    if (!isPlainObject(data)) return invalid('data', 'data must be a JSON object');
    // Checked before anything recursive (JSON.stringify) walks it: deep nesting would overflow the stack.
    const problem = scanData(data);
    if (problem) return invalid('data', problem);
    const serialised = JSON.stringify(data);
    const bytes = Buffer.byteLength(serialised, 'utf8');
    if (bytes > limits.maxDataBytes) {
      return {
        ok: false,
        rejection: {
          reason: 'oversize_data',
          field: 'data',
          detail: `data is ${bytes} bytes serialised, over the limit of ${limits.maxDataBytes}`,
        },
      };
    }
    eventData = data;
  }

  let expectedVersion: number | null = null;
  if (expectedversion !== undefined && expectedversion !== null) {
    // CloudEvents extension values travel as strings in binary mode and HTTP headers.
    // A version is a Postgres integer: anything past 2^31 - 1 is no version an operation can have.
    const checked = checkInteger(expectedversion, INTEGER_KINDS.seenVersion);
    if (!checked.ok) return invalid('expectedversion', rangeMessage('expectedversion', INTEGER_KINDS.seenVersion));
    expectedVersion = checked.value;
  }

  const typeProblem = checkTypeSpecificData(type, eventData);
  if (typeProblem) return typeProblem;

  return {
    ok: true,
    event: { id, source, type, operationId: subject, time: canonical, data: eventData, expectedVersion },
  };
}

function checkTypeSpecificData(type: string, data: JsonObject | null): ParseResult | null {
  if (STAGE_EVENT_TYPES.has(type)) {
    const stage = data?.stage;
    if (typeof stage !== 'string' || stage.length < 1 || stage.length > 200) {
      return invalid('data.stage', `${type} needs data.stage: a stage name of 1 to 200 characters`);
    }
  }
  if (type === 'metadata.updated' && !isPlainObject(data?.metadata)) {
    return invalid('data.metadata', 'metadata.updated needs data.metadata: a JSON object');
  }
  return null;
}

export const MAX_DATA_DEPTH = 64;

/** String.prototype.isWellFormed (ES2024, native in Node 20): false when a lone surrogate is present. */
const isWellFormed = (value: string): boolean => (value as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Text Postgres cannot store: the NUL character, and a lone UTF-16 surrogate
 * (what a JSON "\\ud800" escape without its pair decodes to), which its JSON
 * parser refuses. Refused here, it cannot fail a whole batch later.
 */
function unstorableText(value: string): string | null {
  if (value.includes('\u0000')) return 'the NUL character (\\u0000)';
  if (!isWellFormed(value)) return 'a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair)';
  return null;
}

/**
 * Iterative walk of `data`: refuses nesting deeper than MAX_DATA_DEPTH and
 * text Postgres cannot store (see unstorableText).
 */
function scanData(data: JsonObject): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: data, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) return `data must not contain ${problem}`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DATA_DEPTH) return `data is nested deeper than ${MAX_DATA_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else {
      for (const [key, item] of Object.entries(value)) {
        const problem = unstorableText(key);
        if (problem) return `data must not contain ${problem}`;
        stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return null;
}
