/**
 * Label values that come from producers (event type, source) are capped, so a
 * misbehaving producer cannot blow up the number of time series: after `max`
 * distinct values, new ones are reported as "other".
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(raw);
    return raw;
  }
}
