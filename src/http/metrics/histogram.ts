// A Prometheus histogram kept as plain numbers: observe() is a few
// comparisons and two additions, cheap enough for every request on the hot
// paths. Buckets are stored per bucket and made cumulative only when
// rendered.

/** Seconds, from 50 µs (a produce with acks=1 on loopback) to 30 s (the longest long poll). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export class Histogram {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; above the last bound only `count` knows them. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}
