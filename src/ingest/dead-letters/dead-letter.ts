import type { IncomingRecord } from '../../envelope/parse-kafka-record';
import type { Rejection } from '../../envelope/parse-cloud-event';

/** A refused input with everything needed to find, understand and re-publish it. */
export interface DeadLetter {
  rejection: Rejection;
  channel: 'kafka' | 'http';
  record: IncomingRecord | null;
  eventId: string | null;
  operationId: string | null;
}

export const DEAD_LETTER_HEADERS = {
  reason: 'x-opledger-reason',
  detail: 'x-opledger-detail',
  field: 'x-opledger-field',
  originalTopic: 'x-opledger-original-topic',
  originalPartition: 'x-opledger-original-partition',
  originalOffset: 'x-opledger-original-offset',
} as const;
