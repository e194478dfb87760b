// One produce run against a live broker, as every part of the broker
// benchmark does it: one connection, a window of pipelined requests,
// acks=1, as fast as the broker answers, into partition 0 of a new topic.
// Besides the broker's CPU, the load generator's own is taken: the two share
// this machine's two cores, so a load generator that needs a core for itself
// caps what the broker can show.
import type { ProducerLoadResult } from '../../src/client/load/producer.js';
import { fillPartition } from '../lib/fill-partition.js';
import { StampedBatch } from '../../src/client/load/stamped-batch.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';

export const TOPIC = 'bench';

export interface ProduceSettings {
  recordBytes: number;
  batchRecords: number;
  window: number;
  totalBytes: number;
}

export interface ProduceRunResult {
  load: ProducerLoadResult;
  /** Produce requests sent (one batch each). */
  requests: number;
  brokerCpuSeconds: number;
  loadCpuSeconds: number;
  /** process.hrtime of this process around the produce, µs: the same clock as the broker's CPU profile. */
  fromUs: number;
  toUs: number;
}

/** How many records make a batch nearest to `batchBytes` (the load producer's records: 16-byte key, `valueBytes` value). */
export function recordsPerBatch(valueBytes: number, batchBytes: number): number {
  const size = (n: number): number => new StampedBatch(0n, n, valueBytes).bytes.length;
  const one = size(1);
  const perRecord = Math.max(1, size(2) - one);
  const guess = Math.max(1, Math.round((batchBytes - (one - perRecord)) / perRecord));
  const candidates = [guess - 1, guess, guess + 1].filter((n) => n >= 1);
  return candidates.reduce((best, n) => (Math.abs(size(n) - batchBytes) < Math.abs(size(best) - batchBytes) ? n : best));
}

/** The bytes of one batch as the load producer sends it (stamps aside). */
export function sampleBatch(s: ProduceSettings): Buffer {
  return new StampedBatch(0n, s.batchRecords, s.recordBytes).bytes;
}

/** Batches a run sends: the load producer stops once it has sent `maxRecords`. */
export function batchesPerRun(s: ProduceSettings): number {
  return Math.ceil(maxRecords(s) / s.batchRecords);
}

function maxRecords(s: ProduceSettings): number {
  return Math.ceil(s.totalBytes / s.recordBytes);
}

/**
 * A fresh broker compiles its hot path while the first requests run (on
 * V8's compiler threads, counted in its CPU): a sub-second run measured that
 * too, up to a third of the broker's CPU per GB. So a warm-up goes first,
 * into the same partition, left out of every figure.
 */
export const WARMUP_BYTES = 32 * 1024 * 1024;

/** Produces to partition 0 of TOPIC (created by the caller): a warm-up, then the measured run. */
export async function produceRun(broker: BrokerProcess, s: ProduceSettings): Promise<ProduceRunResult> {
  const fill = { topic: TOPIC, recordsPerBatch: s.batchRecords, valueBytes: s.recordBytes, window: s.window };
  await fillPartition(broker, { ...fill, maxRecords: Math.ceil(Math.min(WARMUP_BYTES, s.totalBytes / 4) / s.recordBytes) }, 'warm-up produce');
  const s0 = await broker.stats();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const load = await fillPartition(broker, { ...fill, maxRecords: maxRecords(s) }, 'produce');
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(c0);
  const s1 = await broker.stats();
  return {
    load,
    requests: load.sentRecords / s.batchRecords,
    brokerCpuSeconds: cpuSecondsBetween(s0, s1),
    loadCpuSeconds: (c.user + c.system) / 1e6,
    fromUs: Number(t0 / 1000n),
    toUs: Number(t1 / 1000n),
  };
}
