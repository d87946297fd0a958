import { DEADLOCKED_READ_ATTEMPTS, retryDeadlockedRead } from '../../src/event-store/read-models/deadlock-retry';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
// TypeORM wraps the driver's error; the SQLSTATE is on driverError.
const wrappedDeadlock = () => Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });

/** A read that fails with the given errors, one per call, then answers. */
function readFailing(errors: Error[]) {
  let calls = 0;
  const read = () => {
    calls += 1;
    const error = errors[calls - 1];
    return error ? Promise.reject(error) : Promise.resolve(`answer after ${calls}`);
  };
  return { read, calls: () => calls };
}

describe('retryDeadlockedRead', () => {
  it('answers at once when the read succeeds', async () => {
    const { read, calls } = readFailing([]);
    await expect(retryDeadlockedRead(read)).resolves.toBe('answer after 1');
    expect(calls()).toBe(1);
  });

  it('tries a deadlock victim again, whether the driver error is bare or wrapped', async () => {
    const { read, calls } = readFailing([deadlock(), wrappedDeadlock()]);
    await expect(retryDeadlockedRead(read)).resolves.toBe('answer after 3');
    expect(calls()).toBe(3);
  });

  it('gives up after its attempts and throws the deadlock', async () => {
    const { read, calls } = readFailing(Array.from({ length: DEADLOCKED_READ_ATTEMPTS }, deadlock));
    await expect(retryDeadlockedRead(read)).rejects.toThrow('deadlock detected');
    expect(calls()).toBe(DEADLOCKED_READ_ATTEMPTS);
  });

  it('does not try again after any other error', async () => {
    for (const error of [
      Object.assign(new Error('duplicate key'), { code: '23505' }),
      Object.assign(new Error('could not serialize'), { code: '40001' }),
      new Error('connection terminated'),
    ]) {
      const { read, calls } = readFailing([error]);
      await expect(retryDeadlockedRead(read)).rejects.toBe(error);
      expect(calls()).toBe(1);
    }
  });
});
