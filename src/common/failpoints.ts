import { writeSync } from 'node:fs';
import { type ArmedFailpoint, describeAction, type FailpointAction, type FailpointName } from './failpoint-plan';

export { FAILPOINT_NAMES, type FailpointName } from './failpoint-plan';

/** Every line a hit writes to stderr starts with this, followed by one JSON object. */
export const FAILPOINT_HIT_PREFIX = 'opledger failpoint ';

/** What a hit reports: the chaos suite reads it to check that the fault landed where it was aimed. */
export interface FailpointHit {
  name: FailpointName;
  /** 1 for the first time the point was reached in this process. */
  hit: number;
  action: string;
  /** Date.now() when the action began (a stall ends `ms` later). */
  at: number;
  detail?: unknown;
}

class ArmedPoint {
  hits = 0;
  private task = 0;
  private usedOfTask = 0;

  constructor(private readonly plan: ArmedFailpoint) {}

  /** The action for the next hit, moving through the plan's tasks. */
  next(): FailpointAction {
    this.hits += 1;
    const task = this.plan.tasks[this.task];
    if (!task) return { kind: 'off' };
    if (task.times !== null) {
      this.usedOfTask += 1;
      if (this.usedOfTask >= task.times) {
        this.task += 1;
        this.usedOfTask = 0;
      }
    }
    return task.action;
  }
}

/**
 * The process-wide failpoints. Off unless main.ts arms them from
 * OPLEDGER_FAILPOINTS (test only); every call site reads
 * `if (failpoints.on) await failpoints.reach(…)`, so in production a failpoint
 * costs one boolean check and nothing else.
 */
export class Failpoints {
  /** True once anything is armed; false in production. */
  on = false;
  private readonly points = new Map<FailpointName, ArmedPoint>();

  /** `report` must be synchronous, so that a crash's line is out before the process dies. */
  constructor(private readonly report: (line: string) => void = (line) => writeSync(2, line)) {}

  arm(armed: readonly ArmedFailpoint[]): void {
    this.points.clear();
    for (const plan of armed) this.points.set(plan.name, new ArmedPoint(plan));
    this.on = this.points.size > 0;
  }

  /**
   * Does what the point's plan says for this hit. A crash writes its report
   * synchronously to stderr and then SIGKILLs the process; nothing after it runs.
   * `detail` is only computed when the point acts.
   */
  async reach(name: FailpointName, detail?: () => unknown): Promise<void> {
    const point = this.points.get(name);
    if (!point) return;
    const action = point.next();
    if (action.kind === 'off') return;
    const hit: FailpointHit = {
      name,
      hit: point.hits,
      action: describeAction(action),
      at: Date.now(),
      detail: detail?.(),
    };
    this.report(`${FAILPOINT_HIT_PREFIX}${JSON.stringify(hit)}\n`);
    if (action.kind === 'crash') {
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL of oneself is not delivered synchronously everywhere: never carry on past a crash.
      await new Promise<never>(() => undefined);
    }
    if (action.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, action.ms));
    if (action.kind === 'error') {
      throw Object.assign(new Error(`failpoint ${name}: injected SQLSTATE ${action.sqlState}`), {
        code: action.sqlState,
      });
    }
  }
}

export const failpoints = new Failpoints();
