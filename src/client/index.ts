/**
 * opledger's package entry: the producer SDK for pipeline services and a typed
 * client of the REST API. See docs/sdk.md.
 */
export { OpledgerClient } from './opledger-client';
export type { ClientDestination, EmitOptions, EmitResult, OpledgerClientOptions } from './opledger-client';
export { buildCloudEvent, InvalidEventError } from './cloud-event';
export type { CloudEvent, EventDraft, JsonObject } from './cloud-event';
export type { EventTransport, SendReceipt, StoredOutcome } from './transport';
export { KafkaTransport, DEFAULT_TOPIC } from './kafka-transport';
export type { KafkaTransportOptions } from './kafka-transport';
export { HttpTransport } from './http-transport';
export type { HttpTransportOptions } from './http-transport';
export { OpledgerApi } from './opledger-api';
export type { WatchMessage, WatchOptions } from './opledger-api';
export type { HttpConnectionOptions } from './http-connection';
export { OpledgerApiError, OpledgerUnreachableError } from './http-errors';
export type { Problem } from './http-errors';
export type * from './api-types';
