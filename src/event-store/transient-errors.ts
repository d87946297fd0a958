/**
 * Errors after which the same work, tried again later, can succeed: lost or
 * refused connections, and the races Postgres resolves by aborting one side
 * (serialization failure, deadlock, a unique key another writer took first).
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: a concurrent writer appended the same event id or version first
  '25006', // read_only_sql_transaction: the address reached a standby mid-failover; the primary comes back
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'the database system is',
];

export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; message?: unknown; driverError?: unknown };
  if (candidate.driverError && candidate.driverError !== error && isTransientDatabaseError(candidate.driverError)) {
    return true;
  }
  const code = typeof candidate.code === 'string' ? candidate.code : '';
  if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || TRANSIENT_NODE_CODES.has(code)) return true;
  const message = typeof candidate.message === 'string' ? candidate.message : '';
  return TRANSIENT_MESSAGES.some((m) => message.includes(m));
}

function sqlState(error: unknown): string {
  const candidate = error as { driverError?: { code?: unknown }; code?: unknown } | null;
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Another writer got there first: a head moved since it was read
 * (serialization_failure), a unique key was taken (a new operation's first
 * version, an event id), or two writers waited on each other. Worth trying the
 * same work again at once; unlike a lost connection, it concerns only the
 * events involved.
 */
export function isWriteConflict(error: unknown): boolean {
  return ['40001', '23505', '40P01'].includes(sqlState(error));
}

/**
 * Postgres chose this statement as the victim of a deadlock and rolled it back: the other side went
 * on. A read that meets a rebuild's swap can be one (it holds one table of its query while it waits
 * for the next, which the swap holds), and tried again it sees the swapped-in tables.
 */
export function isDeadlock(error: unknown): boolean {
  return sqlState(error) === '40P01';
}
