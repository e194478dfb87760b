// Latency histograms: node:perf_hooks' recordable histogram (an HDR
// histogram in C++, so recording costs no JS allocation in the hot path),
// summarised into the percentiles a report plots on its "nines" axis.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export const REPORTED_PERCENTILES = [50, 75, 90, 95, 99, 99.9, 99.99] as const;

export interface LatencySummary {
  count: number;
  /** Milliseconds at each percentile, and the maximum. */
  percentiles: { percentile: number; ms: number }[];
  maxMs: number;
  meanMs: number;
}

export function newLatencyHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
}

/** Records a latency given in µs (clamped to at least 1 µs). */
export function recordMicros(h: RecordableHistogram, micros: number): void {
  h.record(Math.max(1, Math.round(micros)));
}

export function summarize(h: RecordableHistogram): LatencySummary {
  const count = Number(h.count);
  if (count === 0) return { count: 0, percentiles: [], maxMs: 0, meanMs: 0 };
  return {
    count,
    percentiles: REPORTED_PERCENTILES.map((p) => ({ percentile: p, ms: h.percentile(p) / 1000 })),
    maxMs: h.max / 1000,
    meanMs: h.mean / 1000,
  };
}
