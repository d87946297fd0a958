import { isDeadlock } from '../transient-errors';

/** Enough for a read that met a rebuild's swap: the swap commits before the read is tried again. */
export const DEADLOCKED_READ_ATTEMPTS = 3;

/**
 * Runs a read again when Postgres picked it as a deadlock victim. An operator read whose statement
 * touches two tables a rebuild swaps in (the projection and a read model, or two counters) takes
 * their locks one after the other; if the swap holds the second and waits for the first, Postgres
 * rolls the read back after deadlock_timeout. A read changes nothing, so trying it again is safe,
 * and by then the swap has committed. Any other error, or a deadlock every time, is thrown.
 */
export async function retryDeadlockedRead<T>(read: () => Promise<T>, attempts = DEADLOCKED_READ_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
    }
  }
}
