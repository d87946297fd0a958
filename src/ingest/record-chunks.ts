import type { IncomingRecord } from '../envelope/parse-kafka-record';

/** What a record weighs as fetched: key and value bytes, header names and values (characters). */
export function recordBytes(record: IncomingRecord): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers)) bytes += name.length + (value?.length ?? 0);
  return bytes;
}

export interface RecordChunk {
  records: IncomingRecord[];
  bytes: number;
}

/**
 * Cuts a fetched batch into the chunks appended one after another: in order,
 * each with at most `maxEvents` records and at most `maxBytes` record bytes,
 * except that a chunk always holds at least one record (a record larger than
 * `maxBytes` is a chunk of its own).
 */
export function chunkRecords(records: readonly IncomingRecord[], maxEvents: number, maxBytes: number): RecordChunk[] {
  const chunks: RecordChunk[] = [];
  let current: RecordChunk = { records: [], bytes: 0 };
  for (const record of records) {
    const bytes = recordBytes(record);
    if (current.records.length > 0 && (current.records.length >= maxEvents || current.bytes + bytes > maxBytes)) {
      chunks.push(current);
      current = { records: [], bytes: 0 };
    }
    current.records.push(record);
    current.bytes += bytes;
  }
  if (current.records.length > 0) chunks.push(current);
  return chunks;
}
