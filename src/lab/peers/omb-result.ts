// A peer run in OpenMessaging Benchmark's result format (TestResult), so a
// run here sits next to OMB's published results and OMB's own charts read
// it. Time series are per second (OMB reports every 10 s); publish and
// end-to-end latencies are in ms, publish delay in µs, as OMB has them.
// Series and aggregates come from the paced phase when the workload has a
// rate (OMB runs at producerRate), with the flat-out phase's rates in
// mqlab's extra fields.
import type { LatencySummary } from '../../client/load/histogram.js';
import type { Interval } from './meter.js';
import type { PeerWorkload, WorkloadOutcome } from './run-workload.js';

const SUFFIXES = [
  ['50pct', 50],
  ['75pct', 75],
  ['95pct', 95],
  ['99pct', 99],
  ['999pct', 99.9],
  ['9999pct', 99.99],
] as const;

export type OmbResult = Record<string, string | number | number[] | Record<string, number> | null>;

const at = (s: LatencySummary, p: number): number => s.percentiles.find((x) => x.percentile === p)?.ms ?? 0;

function series(prefix: string, intervals: Interval[], pick: (i: Interval) => LatencySummary, scale: number, out: OmbResult): void {
  out[`${prefix}Avg`] = intervals.map((i) => pick(i).meanMs * scale);
  for (const [suffix, p] of SUFFIXES) out[`${prefix}${suffix}`] = intervals.map((i) => at(pick(i), p) * scale);
  out[`${prefix}99999pct`] = intervals.map((i) => at(pick(i), 99.99) * scale);
  out[`${prefix}Max`] = intervals.map((i) => pick(i).maxMs * scale);
}

function aggregated(prefix: string, s: LatencySummary, scale: number, out: OmbResult): void {
  out[`aggregated${prefix}Avg`] = s.meanMs * scale;
  for (const [suffix, p] of SUFFIXES) out[`aggregated${prefix}${suffix}`] = at(s, p) * scale;
  // The histogram reports to 99.99; OMB's 99.999 is given as the highest percentile measured.
  out[`aggregated${prefix}99999pct`] = at(s, 99.99) * scale;
  out[`aggregated${prefix}Max`] = s.maxMs * scale;
  out[`aggregated${prefix}Quantiles`] = Object.fromEntries(s.percentiles.map((x) => [String(x.percentile), x.ms * scale]));
}

export function toOmbResult(o: { workload: PeerWorkload; driver: string; outcome: WorkloadOutcome; system: string; mode: string }): OmbResult {
  const w = o.workload;
  const phase = o.outcome.paced;
  const r: OmbResult = {
    workload: w.name,
    driver: o.driver,
    messageSize: w.messageSize,
    topics: w.topics,
    partitions: w.partitionsPerTopic,
    producersPerTopic: w.producersPerTopic,
    consumersPerTopic: w.subscriptionsPerTopic * w.consumerPerSubscription,
    publishRate: phase.intervals.map((i) => i.publishRate),
    publishErrorRate: phase.intervals.map((i) => i.publishErrorRate),
    consumeRate: phase.intervals.map((i) => i.consumeRate),
    backlog: phase.intervals.map((i) => i.backlog),
  };
  series('publishLatency', phase.intervals, (i) => i.publishLatency, 1, r);
  series('publishDelayLatency', phase.intervals, (i) => i.publishDelayMicros, 1000, r);
  aggregated('PublishLatency', phase.publishLatency, 1, r);
  aggregated('PublishDelayLatency', phase.publishDelayMicros, 1000, r);
  series('endToEndLatency', phase.intervals, (i) => i.endToEnd, 1, r);
  aggregated('EndToEndLatency', phase.endToEnd, 1, r);
  // mqlab's additions (OMB readers ignore fields they do not know).
  const f = o.outcome.flatOut;
  r.mqlabSystem = o.system;
  r.mqlabPersistence = o.mode;
  r.mqlabProducerRate = o.outcome.rate;
  r.mqlabFlatOutPublishRate = f.published / f.seconds;
  r.mqlabFlatOutConsumeRate = f.received / f.totalSeconds;
  r.mqlabBrokerCpuMicrosPerMessage = f.cpu.broker === null ? null : (f.cpu.broker * 1e6) / Math.max(1, f.published);
  r.mqlabClientCpuMicrosPerMessage = (f.cpu.client * 1e6) / Math.max(1, f.published);
  r.mqlabLost = o.outcome.integrity.reduce((n, i) => n + i.lost, 0);
  r.mqlabDuplicated = o.outcome.integrity.reduce((n, i) => n + i.duplicated, 0);
  return r;
}
