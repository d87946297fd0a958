import { EnvelopeLimits, ParseResult, parseCloudEvent } from './parse-cloud-event';

/** A Kafka record as the ingest seam hands it over, independent of the client library. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | undefined>;
}

const CE_HEADER_PREFIX = 'ce_';

/**
 * Decodes a record in CloudEvents Kafka structured mode (the value is the whole
 * JSON event) or binary mode (attributes in `ce_*` headers, the value is `data`),
 * then checks that the record key, when present, names the same operation.
 */
export function parseKafkaRecord(record: IncomingRecord, limits: EnvelopeLimits): ParseResult {
  const binary = record.headers['ce_specversion'] !== undefined;
  let envelope: Record<string, unknown>;
  if (binary) {
    envelope = {};
    for (const [name, value] of Object.entries(record.headers)) {
      if (name.startsWith(CE_HEADER_PREFIX) && value !== undefined) {
        envelope[name.slice(CE_HEADER_PREFIX.length)] = value;
      }
    }
    if (record.value !== null && record.value.length > 0) {
      const decoded = decodeJson(record.value);
      if (!decoded.ok) return decoded.result;
      envelope.data = decoded.value;
    }
  } else {
    if (record.value === null || record.value.length === 0) {
      return {
        ok: false,
        rejection: { reason: 'invalid_json', detail: 'the record has no value (expected a CloudEvent)' },
      };
    }
    const decoded = decodeJson(record.value);
    if (!decoded.ok) return decoded.result;
    envelope = decoded.value as Record<string, unknown>;
  }

  const parsed = parseCloudEvent(envelope, limits);
  if (!parsed.ok) return parsed;
  if (record.key !== null && record.key.length > 0) {
    const key = record.key.toString('utf8');
    if (key !== parsed.event.operationId) {
      return {
        ok: false,
        rejection: {
          reason: 'key_mismatch',
          field: 'subject',
          detail: `record key "${key.slice(0, 200)}" differs from subject "${parsed.event.operationId}"`,
        },
      };
    }
  }
  return parsed;
}

function decodeJson(bytes: Buffer): { ok: true; value: unknown } | { ok: false; result: ParseResult } {
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (error) {
    return {
      ok: false,
      result: {
        ok: false,
        rejection: {
          reason: 'invalid_json',
          detail: `the value is not valid JSON: ${(error as Error).message.slice(0, 200)}`,
        },
      },
    };
  }
}
