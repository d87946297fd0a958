import { ConfigError } from '../config/config-error';
import { isTransientDatabaseError } from '../event-store/transient-errors';

/**
 * The named points where a test can make the service crash, stall or fail on
 * purpose, at the exact moment a fault is dangerous (docs/reliability.md#failpoints
 * says what each one is for and what the chaos suite checks after it).
 */
export const FAILPOINT_NAMES = [
  /** Kafka ingest: a chunk parsed, before its append. */
  'ingest.before-append',
  /** Kafka ingest: the chunk's append (and its dead letters) committed, before its offset commit. */
  'ingest.after-append',
  /** Append: before the optimistic attempt; `error(40001)` there acts as a moved head. */
  'append.optimistic',
  /** Append: heads read and folded, before the write (`opledger_append_events`). */
  'append.before-write',
  /** Append, locked path (a transaction writing events): rows written, row locks and the append gate (shared) held, before COMMIT. */
  'append.in-transaction',
  /** HTTP append: the request's append committed, before the response is sent. */
  'http.append.after-commit',
  /** Rebuild, bulk pass: a batch of shadow rows, its rollups and its checkpoint written, before commit. */
  'rebuild.bulk.before-commit',
  /** Rebuild, online catch-up: a round's refolded rows and checkpoint written, before commit. */
  'rebuild.catch-up.before-commit',
  /** Rebuild, swap: live table locked, shadow renamed in, job marked succeeded, before commit. */
  'rebuild.swap.before-commit',
  /** Graceful shutdown: the Kafka consumer stopped (the batch in flight finished and committed). */
  'shutdown.consumer-stopped',
] as const;

export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** What a failpoint does when reached. */
export type FailpointAction =
  | { kind: 'off' }
  /** Reports the hit, then SIGKILLs its own process: no handler, no flush, no goodbye. */
  | { kind: 'crash' }
  /** Waits this long, then carries on. */
  | { kind: 'stall'; ms: number }
  /** Throws an error with this SQLSTATE, as the pg driver would (transient ones only). */
  | { kind: 'error'; sqlState: string };

/** One step of a failpoint's plan: an action for `times` hits (for ever when null). */
export interface FailpointTask {
  times: number | null;
  action: FailpointAction;
}

export interface ArmedFailpoint {
  name: FailpointName;
  tasks: FailpointTask[];
}

/** The variable that arms failpoints, and the one that must say this is a test. */
export const FAILPOINTS_VARIABLE = 'OPLEDGER_FAILPOINTS';
const MAX_STALL_MS = 600_000;

function parseAction(text: string, fail: (why: string) => never): FailpointAction {
  if (text === 'off' || text === 'crash') return { kind: text };
  const call = /^(stall|error)\((.*)\)$/.exec(text);
  if (!call) fail(`unknown action "${text}" (off, crash, stall(ms), error(SQLSTATE))`);
  const [, kind, argument] = call;
  if (kind === 'stall') {
    if (!/^\d{1,6}$/.test(argument) || Number(argument) > MAX_STALL_MS) {
      fail(`stall needs milliseconds from 0 to ${MAX_STALL_MS}, got "${argument}"`);
    }
    return { kind: 'stall', ms: Number(argument) };
  }
  // Only errors after which the same work can succeed: a failpoint must never make an event unstorable.
  if (!/^[0-9A-Z]{5}$/.test(argument) || !isTransientDatabaseError({ code: argument })) {
    fail(`error needs a transient SQLSTATE (e.g. 40001, 40P01, 08006, 57P01), got "${argument}"`);
  }
  return { kind: 'error', sqlState: argument };
}

/**
 * Parses `name=task[->task…],…` where a task is `[N*]action` and an action is
 * `off`, `crash`, `stall(ms)` or `error(SQLSTATE)`: `ingest.after-append=5*off->crash`
 * lets five hits pass and crashes at the sixth. The tasks run in order; a task
 * without a count is the last one; after the last counted one the point is off.
 */
export function parseFailpoints(raw: string): ArmedFailpoint[] {
  const fail = (why: string): never => {
    throw new ConfigError(FAILPOINTS_VARIABLE, why);
  };
  const armed: ArmedFailpoint[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    const equals = entry.indexOf('=');
    if (equals < 1) fail(`entries are name=action, got "${entry}"`);
    const name = entry.slice(0, equals).trim();
    if (!(FAILPOINT_NAMES as readonly string[]).includes(name)) {
      fail(`has no failpoint "${name}" (known: ${FAILPOINT_NAMES.join(', ')})`);
    }
    if (armed.some((point) => point.name === name)) fail(`names "${name}" twice`);
    const tasks = entry
      .slice(equals + 1)
      .split('->')
      .map((step, index, steps): FailpointTask => {
        const counted = /^(\d{1,9})\*(.*)$/.exec(step.trim());
        const times = counted ? Number(counted[1]) : null;
        if (times === null && index < steps.length - 1)
          fail(`"${step.trim()}" in ${name} needs a count (N*) to be followed`);
        if (times === 0) fail(`a count must be at least 1 in ${name}`);
        return { times, action: parseAction(counted ? counted[2] : step.trim(), fail) };
      });
    armed.push({ name: name as FailpointName, tasks });
  }
  return armed;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The start-up check of OPLEDGER_FAILPOINTS: unset in production (nothing
 * armed). Set, it is refused unless NODE_ENV=test and the service listens on
 * loopback only, so a deployment can never carry it by mistake.
 */
export function failpointsFromEnv(env: Record<string, string | undefined>, host: string): ArmedFailpoint[] {
  const raw = env[FAILPOINTS_VARIABLE];
  if (raw === undefined || raw === '') return [];
  if (env.NODE_ENV !== 'test') {
    throw new ConfigError(
      FAILPOINTS_VARIABLE,
      'is a test-only setting (it makes the service crash, stall or fail on purpose): refused unless NODE_ENV=test',
    );
  }
  if (!isLoopback(host)) {
    throw new ConfigError(FAILPOINTS_VARIABLE, `is a test-only setting: refused with HOST=${host} (loopback only)`);
  }
  return parseFailpoints(raw);
}

export function describeAction(action: FailpointAction): string {
  if (action.kind === 'stall') return `stall(${action.ms})`;
  if (action.kind === 'error') return `error(${action.sqlState})`;
  return action.kind;
}

/** The plan as it was written (normalised): for the start-up warning. */
export function describeFailpoints(armed: readonly ArmedFailpoint[]): string {
  return armed
    .map(
      ({ name, tasks }) =>
        `${name}=${tasks.map((t) => `${t.times === null ? '' : `${t.times}*`}${describeAction(t.action)}`).join('->')}`,
    )
    .join(',');
}
