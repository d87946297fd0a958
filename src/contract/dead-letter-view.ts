/** A dead letter as the API returns it (GET /v1/admin/dead-letters) and the SDK types it. */
export interface DeadLetterView {
  id: number;
  reason: string;
  detail: string;
  channel: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
  key: string | null;
  headers: Record<string, string> | null;
  /** The original value: as text when it is valid UTF-8, else base64 (see payloadEncoding). */
  payload: string | null;
  payloadEncoding: 'utf8' | 'base64' | null;
  eventId: string | null;
  operationId: string | null;
  createdAt: string;
  /** When an operator last re-published it to the main topic, and how often. */
  republishedAt: string | null;
  republishCount: number;
}
