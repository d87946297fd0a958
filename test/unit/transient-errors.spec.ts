import { isTransientDatabaseError, isWriteConflict } from '../../src/event-store/transient-errors';

/** A pg error as node-postgres raises it, optionally wrapped the way TypeORM wraps it. */
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (driverError: Error) => Object.assign(new Error('QueryFailedError'), { driverError });

describe('isTransientDatabaseError', () => {
  it('retries a write refused by a read-only server: the address reached a standby during a failover', () => {
    const readOnly = pgError('25006', 'cannot execute INSERT in a read-only transaction');
    expect(isTransientDatabaseError(readOnly)).toBe(true);
    expect(isTransientDatabaseError(wrapped(readOnly))).toBe(true);
    // Not a conflict between writers: retrying at once would not help.
    expect(isWriteConflict(readOnly)).toBe(false);
  });

  it('retries lost connections and a server shutting down or starting', () => {
    expect(isTransientDatabaseError(pgError('57P01'))).toBe(true);
    expect(isTransientDatabaseError(pgError('08006'))).toBe(true);
    expect(isTransientDatabaseError(pgError('ECONNREFUSED'))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry what a retry cannot cure', () => {
    expect(isTransientDatabaseError(pgError('22P02'))).toBe(false); // invalid_text_representation
    expect(isTransientDatabaseError(pgError('42501'))).toBe(false); // insufficient_privilege
    expect(isTransientDatabaseError(new Error('boom'))).toBe(false);
    expect(isTransientDatabaseError(null)).toBe(false);
  });
});
