import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { isCoordinatorUnreachable, REJOIN_ERROR_TYPE, rejoinRequest } from '../../src/ingest/kafka/coordinator-loss';

/** A protocol error as kafkajs builds it from a broker's error code (its constructor takes that entry). */
const protocolError = (type: string) =>
  new KafkaJSProtocolError({ name: type, message: `broker said ${type}`, type, code: 1, retriable: true } as Error);

describe('isCoordinatorUnreachable', () => {
  it('recognises a coordinator that is gone: refused, closed, timed out, not in the metadata any more', () => {
    expect(isCoordinatorUnreachable(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9093'))).toBe(true);
    // kafkajs' typings declare no argument; at run time it takes the message like its other errors.
    const notFound = new (KafkaJSBrokerNotFound as unknown as new (message: string) => Error)('Broker 2 not found');
    expect(isCoordinatorUnreachable(notFound)).toBe(true);
    expect(
      isCoordinatorUnreachable(
        new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection timeout'), {
          retryCount: 5,
          retryTime: 300,
        }),
      ),
    ).toBe(true);
  });

  it('recognises the answers of a broker that is no longer (or not yet) the coordinator', () => {
    for (const type of ['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS']) {
      expect(isCoordinatorUnreachable(protocolError(type))).toBe(true);
    }
  });

  it('leaves every other failure alone', () => {
    for (const type of [
      'ILLEGAL_GENERATION',
      'UNKNOWN_MEMBER_ID',
      'GROUP_AUTHORIZATION_FAILED',
      'OFFSET_METADATA_TOO_LARGE',
    ]) {
      expect(isCoordinatorUnreachable(protocolError(type))).toBe(false);
    }
    expect(isCoordinatorUnreachable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isCoordinatorUnreachable(null)).toBe(false);
  });
});

describe('rejoinRequest', () => {
  it('is the error kafkajs answers with a rejoin, and says why', () => {
    const request = rejoinRequest('offset commit', new KafkaJSConnectionError('connect ECONNREFUSED'));
    expect(request).toBeInstanceOf(KafkaJSProtocolError);
    expect((request as KafkaJSProtocolError).type).toBe(REJOIN_ERROR_TYPE);
    expect((request as KafkaJSProtocolError).retriable).toBe(true);
    expect(request.message).toMatch(/offset commit failed, the group coordinator is unreachable .*ECONNREFUSED/);
  });
});
