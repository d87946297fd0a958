import { spawnSync } from 'node:child_process';
import { processCpuMs } from '../../bench/support/process-cpu';

describe('processCpuMs (bench CPU accounting from /proc)', () => {
  it('grows by about the CPU time this process burns', () => {
    const before = processCpuMs(process.pid);
    const started = process.cpuUsage();
    const until = Date.now() + 300;
    let spins = 0;
    while (Date.now() < until) spins += 1;
    const burnedMs = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1000;
    const after = processCpuMs(process.pid);
    expect(spins).toBeGreaterThan(0);
    expect(before).not.toBeNull();
    // /proc counts in ticks of 10 ms: allow three ticks either way (two reads, each floored, and the statements between them).
    expect(after! - before!).toBeGreaterThanOrEqual(burnedMs - 30);
    expect(after! - before!).toBeLessThanOrEqual(burnedMs + 30);
  });

  it('is null for a process that is gone', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(child.status).toBe(0);
    expect(processCpuMs(child.pid)).toBeNull();
  });
});
