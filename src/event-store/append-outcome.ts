import type { Rejection } from '../envelope/parse-cloud-event';
import type { GlobalPosition } from './global-position';

/** What an append did with one event. */
export type AppendOutcome =
  | { status: 'appended'; eventId: string; operationId: string; version: number; position: GlobalPosition }
  | { status: 'duplicate'; eventId: string; operationId: string; version: number; position: GlobalPosition }
  | {
      status: 'rejected';
      eventId: string;
      operationId: string;
      rejection: Rejection;
      headVersion: number;
      /** For `id_conflict`: the event that holds the id (stored, or earlier in the same append). */
      conflictsWith?: { operationId: string; version: number };
    };
