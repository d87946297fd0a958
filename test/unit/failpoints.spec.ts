import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  describeFailpoints,
  FAILPOINT_NAMES,
  failpointsFromEnv,
  parseFailpoints,
} from '../../src/common/failpoint-plan';
import { FAILPOINT_HIT_PREFIX, Failpoints } from '../../src/common/failpoints';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { isTransientDatabaseError } from '../../src/event-store/transient-errors';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('failpoint plans (OPLEDGER_FAILPOINTS)', () => {
  it('parses actions, counts and chains', () => {
    expect(parseFailpoints('ingest.after-append=5*off->crash, append.before-write=2*stall(250)->error(40001)')).toEqual(
      [
        {
          name: 'ingest.after-append',
          tasks: [
            { times: 5, action: { kind: 'off' } },
            { times: null, action: { kind: 'crash' } },
          ],
        },
        {
          name: 'append.before-write',
          tasks: [
            { times: 2, action: { kind: 'stall', ms: 250 } },
            { times: null, action: { kind: 'error', sqlState: '40001' } },
          ],
        },
      ],
    );
  });

  it.each([
    ['no-such.point=crash', 'has no failpoint "no-such.point"'],
    ['ingest.after-append', 'entries are name=action'],
    ['ingest.after-append=explode', 'unknown action "explode"'],
    ['ingest.after-append=stall(-1)', 'stall needs milliseconds'],
    ['ingest.after-append=stall(600001)', 'stall needs milliseconds'],
    ['ingest.after-append=error(23505x)', 'error needs a transient SQLSTATE'],
    // A constraint violation would make a valid event look unstorable: only transient errors.
    ['ingest.after-append=error(23502)', 'error needs a transient SQLSTATE'],
    ['ingest.after-append=crash->off', 'needs a count'],
    ['ingest.after-append=0*crash', 'at least 1'],
    ['ingest.after-append=crash,ingest.after-append=off', 'names "ingest.after-append" twice'],
  ])('refuses %s, naming the variable', (raw, message) => {
    const error = configErrorOf(() => parseFailpoints(raw));
    expect(error.variable).toBe('OPLEDGER_FAILPOINTS');
    expect(error.message).toContain(message);
  });

  it('property: a described plan parses back to itself', () => {
    const action = fc.oneof(
      fc.constant('off'),
      fc.constant('crash'),
      fc.integer({ min: 0, max: 600_000 }).map((ms) => `stall(${ms})`),
      fc.constantFrom('40001', '40P01', '08006', '57P01').map((code) => `error(${code})`),
    );
    const plan = fc
      .uniqueArray(fc.constantFrom(...FAILPOINT_NAMES), { minLength: 1 })
      .chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            fc
              .tuple(fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), action), { maxLength: 3 }), action)
              .map(([counted, last]) => `${name}=${[...counted.map(([n, a]) => `${n}*${a}`), last].join('->')}`),
          ),
        ),
      )
      .map((entries) => entries.join(','));
    fc.assert(
      fc.property(plan, (raw) => {
        expect(describeFailpoints(parseFailpoints(raw))).toBe(raw);
      }),
    );
  });

  it('is off when unset, whatever else is set', () => {
    expect(failpointsFromEnv({ NODE_ENV: 'test' }, '127.0.0.1')).toEqual([]);
    expect(loadConfig({}).failpoints).toEqual([]);
  });

  it('is refused outside tests: without NODE_ENV=test, and on a non-loopback HOST', () => {
    const armed = { OPLEDGER_FAILPOINTS: 'ingest.after-append=crash' };
    for (const env of [armed, { ...armed, NODE_ENV: 'production' }]) {
      const error = configErrorOf(() => loadConfig(env));
      expect(error.variable).toBe('OPLEDGER_FAILPOINTS');
      expect(error.message).toContain('refused unless NODE_ENV=test');
    }
    const deployed = configErrorOf(() =>
      loadConfig({ ...armed, NODE_ENV: 'test', HOST: '0.0.0.0', API_KEYS: 'admin:admin-secret-0123456789' }),
    );
    expect(deployed.variable).toBe('OPLEDGER_FAILPOINTS');
    expect(deployed.message).toContain('loopback only');
    expect(loadConfig({ ...armed, NODE_ENV: 'test' }).failpoints).toEqual([
      { name: 'ingest.after-append', tasks: [{ times: null, action: { kind: 'crash' } }] },
    ]);
  });
});

describe('Failpoints at run time', () => {
  const lines: string[] = [];
  beforeEach(() => (lines.length = 0));
  const report = (line: string) => void lines.push(line);

  it('is off until armed, and then only for the armed points', async () => {
    const points = new Failpoints(report);
    expect(points.on).toBe(false);
    await points.reach('ingest.after-append');
    points.arm(parseFailpoints('append.before-write=error(40001)'));
    expect(points.on).toBe(true);
    await expect(points.reach('ingest.after-append')).resolves.toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('throws a transient database error, and reports each hit with its detail', async () => {
    const points = new Failpoints(report);
    points.arm(parseFailpoints('append.before-write=1*off->2*error(57P01)'));
    await points.reach('append.before-write');
    const thrown: unknown[] = [];
    for (let i = 0; i < 3; i += 1) {
      await points.reach('append.before-write', () => ({ events: ['e1'] })).catch((error) => thrown.push(error));
    }
    expect(thrown).toHaveLength(2);
    expect(thrown.every(isTransientDatabaseError)).toBe(true);
    expect(lines.map((line) => JSON.parse(line.slice(FAILPOINT_HIT_PREFIX.length)))).toEqual([
      {
        name: 'append.before-write',
        hit: 2,
        action: 'error(57P01)',
        at: expect.any(Number),
        detail: { events: ['e1'] },
      },
      {
        name: 'append.before-write',
        hit: 3,
        action: 'error(57P01)',
        at: expect.any(Number),
        detail: { events: ['e1'] },
      },
    ]);
  });

  it('stalls for the given time, then carries on', async () => {
    const points = new Failpoints(report);
    points.arm(parseFailpoints('ingest.before-append=stall(120)'));
    const started = Date.now();
    await points.reach('ingest.before-append');
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });
});

describe('a crash failpoint', () => {
  it('reports the hit on stderr, then the process dies of SIGKILL', () => {
    const script = `
      const { Failpoints } = require(${JSON.stringify(join(__dirname, '../../src/common/failpoints'))});
      const { parseFailpoints } = require(${JSON.stringify(join(__dirname, '../../src/common/failpoint-plan'))});
      const points = new Failpoints();
      points.arm(parseFailpoints('ingest.after-append=1*off->crash'));
      (async () => {
        await points.reach('ingest.after-append');
        process.stdout.write('passed the first hit\\n');
        await points.reach('ingest.after-append', () => ({ partition: 3 }));
        process.stdout.write('still alive\\n');
      })();`;
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout).toBe('passed the first hit\n');
    const hit = run.stderr.split('\n').find((line) => line.startsWith(FAILPOINT_HIT_PREFIX));
    expect(JSON.parse(hit!.slice(FAILPOINT_HIT_PREFIX.length))).toEqual({
      name: 'ingest.after-append',
      hit: 2,
      action: 'crash',
      at: expect.any(Number),
      detail: { partition: 3 },
    });
  });
});
