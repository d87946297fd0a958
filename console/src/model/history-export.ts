import type { ApiEvent } from '../api/types';

export const CSV_COLUMNS = [
  'version',
  'time',
  'recordedAt',
  'type',
  'stage',
  'source',
  'late',
  'id',
  'position',
  'data',
];

/** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function stageOf(event: ApiEvent): string {
  const stage = event.data?.stage;
  return typeof stage === 'string' ? stage : '';
}

export function csvLine(event: ApiEvent, late: boolean): string {
  return [
    String(event.version),
    event.time,
    event.recordedAt,
    event.type,
    stageOf(event),
    event.source,
    late ? 'true' : 'false',
    event.id,
    String(event.position),
    event.data === null ? '' : JSON.stringify(event.data),
  ]
    .map(csvField)
    .join(',');
}

/** One JSON object per line: the event as the API sends it, plus `late`. */
export function ndjsonLine(event: ApiEvent, late: boolean): string {
  return JSON.stringify({ ...event, late });
}
