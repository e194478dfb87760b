// Pieces the scenarios share: a scenario's shape, and produce/consume runs
// against a lab broker with their integrity checked.
import { consumeLoad, type ConsumerLoadResult } from '../../client/load/consumer.js';
import { summarize, type LatencySummary } from '../../client/load/histogram.js';
import { produceLoad, type ProducerLoadOptions, type ProducerLoadResult } from '../../client/load/producer.js';
import type { BrokerProcess } from '../broker-process.js';
import type { LabContext } from '../context.js';
import type { IntegrityCheck, LatencyChart, ScenarioResult } from '../results.js';

/** What a scenario's run returns: its result without what the scenario already says of itself (run-lab adds name, title and claim). */
export type ScenarioOutcome = Omit<ScenarioResult, 'name' | 'title' | 'claim'>;

export interface Scenario {
  name: string;
  title: string;
  claim: string;
  /** Run by --full and by name, not by the quick suite (the peers comparison starts a dozen servers). */
  fullSuiteOnly?: boolean;
  run(ctx: LabContext): Promise<ScenarioOutcome>;
}

export const MB = 1e6;

export type ProduceSettings = Omit<ProducerLoadOptions, 'host' | 'port'>;

export function produce(b: BrokerProcess, s: ProduceSettings): Promise<ProducerLoadResult> {
  return produceLoad({ host: b.host, port: b.port, ...s });
}

/** Reads what `p` produced to `partitions` from offset 0 and checks every record. */
export async function consumeAll(b: BrokerProcess, topic: string, partitions: readonly number[], p: ProducerLoadResult, run: string, maxMs = 120_000): Promise<{ c: ConsumerLoadResult; integrity: IntegrityCheck }> {
  const c = await consumeLoad({
    host: b.host,
    port: b.port,
    topic,
    from: new Map(partitions.map((q) => [q, 0n])),
    expectRecords: p.ackedRecords,
    maxMs,
    maxBytes: 8 * 1024 * 1024,
    partitionMaxBytes: 4 * 1024 * 1024,
  });
  return { c, integrity: c.integrity.report(run, new Map([[p.producerId, p.ackedRecords]])) };
}

export function latencySeries(label: string, s: LatencySummary): LatencyChart['series'][number] {
  return { label, percentiles: s.percentiles.map((x) => ({ percentile: x.percentile, ms: Math.max(x.ms, 0.001) })) };
}

export function latencyOf(p: ProducerLoadResult | ConsumerLoadResult): LatencySummary {
  return summarize(p.latency);
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The value at percentile p of a summary, in ms. */
export function pct(s: LatencySummary, p: number): number {
  return s.percentiles.find((x) => x.percentile === p)?.ms ?? NaN;
}
