import type { OperationEvent, StoredEvent } from '../../envelope/operation-event';
import { DEFAULT_ENVELOPE_LIMITS, EnvelopeLimits, parseCloudEvent } from '../../envelope/parse-cloud-event';

/**
 * One line of a backup (NDJSON): the stored event as a structured-mode
 * CloudEvent, plus what the log assigned to it as CloudEvents extension
 * attributes (lower-case letters only, as the spec requires): `version`,
 * `position` and `recordedat`.
 */
export interface BackupLine {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data?: Record<string, unknown>;
  version: number;
  position: number;
  recordedat: string;
}

export function toBackupLine(event: StoredEvent): string {
  const line: BackupLine = {
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.operationId,
    time: event.time,
    ...(event.data === null ? {} : { data: event.data }),
    version: event.version,
    position: event.position,
    recordedat: event.recordedAt,
  };
  return JSON.stringify(line);
}

export class BackupLineError extends Error {
  constructor(
    readonly lineNumber: number,
    detail: string,
  ) {
    super(`line ${lineNumber}: ${detail}`);
    this.name = 'BackupLineError';
  }
}

export interface ParsedBackupLine {
  event: OperationEvent;
  /** The version the event had in the exported log. */
  version: number | null;
}

/** Validates a line with the same rules as ingest; what the log assigned is kept aside, never trusted. */
export function parseBackupLine(
  text: string,
  lineNumber: number,
  limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS,
): ParsedBackupLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupLineError(lineNumber, 'is not JSON');
  }
  const parsed = parseCloudEvent(json, limits);
  if (!parsed.ok) throw new BackupLineError(lineNumber, parsed.rejection.detail);
  const version = (json as { version?: unknown }).version;
  return {
    // A backup records what was stored, not a condition on storing it.
    event: { ...parsed.event, expectedVersion: null },
    version: typeof version === 'number' && Number.isSafeInteger(version) ? version : null,
  };
}
