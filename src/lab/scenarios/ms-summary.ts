// Latencies the RocketMQ scenarios measure one by one (lateness, check-back
// delay) as the percentile summaries the report's latency charts take, and
// as "p50 / p99 / max" text from the exact values.
import { newLatencyHistogram, recordMicros, summarize, type LatencySummary } from '../../client/load/histogram.js';
import { quantile } from '../stats.js';
import { fmt } from './common.js';

/** An HDR summary of values in ms (below 1 µs counts as 1 µs: the chart's axis is logarithmic). */
export function summaryOfMs(values: readonly number[]): LatencySummary {
  const h = newLatencyHistogram();
  for (const v of values) recordMicros(h, v * 1000);
  return summarize(h);
}

/** "p50 / p99 / max" of the exact values, in whole ms; "—" for none. */
export function p50p99max(values: readonly number[]): string {
  if (values.length === 0) return '—';
  return `${fmt(quantile(values, 0.5))} / ${fmt(quantile(values, 0.99))} / ${fmt(quantile(values, 1))}`;
}
