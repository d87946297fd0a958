/** A small seeded generator (mulberry32), so that `--seed` replays the same demo run. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A latency around `meanMs` with a long tail, like real services: 0.3 × mean plus an exponential part. */
  latencyMs(meanMs: number): number {
    return meanMs * (0.3 + -Math.log(1 - this.next()) * 0.7);
  }
}
