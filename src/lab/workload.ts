// Lab settings a user can change, from flags or a YAML file. Field names
// follow OpenMessaging Benchmark's workload files where they fit
// (messageSize, producerRate, partitionsPerTopic, testDurationMinutes);
// mqlab adds `records` (per produce run) and `testDurationSeconds`. A
// scenario uses each where it applies and its own default otherwise; the
// report records the workload in force.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface Workload {
  name?: string;
  /** Record value size in bytes (OMB messageSize). */
  messageSize?: number;
  /** Records per second for fixed-rate runs (OMB producerRate). */
  producerRate?: number;
  /** Partitions of the throughput scenario's topic, and one more point of the partitions sweep. */
  partitionsPerTopic?: number;
  /** Length of timed runs (OMB testDurationMinutes; or testDurationSeconds). */
  testDurationMinutes?: number;
  testDurationSeconds?: number;
  /** Records per produce run. */
  records?: number;
}

const NUMERIC: (keyof Workload)[] = ['messageSize', 'producerRate', 'partitionsPerTopic', 'testDurationMinutes', 'testDurationSeconds', 'records'];
/** OMB fields that mean nothing to one broker on one machine: accepted and ignored, so an OMB file loads. */
const IGNORED = new Set(['topics', 'subscriptionsPerTopic', 'consumerPerSubscription', 'producersPerTopic', 'consumerBacklogSizeGB', 'warmupDurationMinutes', 'payloadFile', 'keyDistributor', 'useRandomizedPayloads', 'randomBytesRatio', 'randomizedPayloadPoolSize']);

const LIMITS: Record<string, [number, number]> = {
  messageSize: [8, 1024 * 1024],
  producerRate: [1, 10_000_000],
  partitionsPerTopic: [1, 10_000],
  testDurationMinutes: [1 / 60, 60],
  testDurationSeconds: [1, 3600],
  records: [1, 100_000_000],
};

/** Checks a workload's fields: a clear error for an unknown one or a value out of range. */
export function checkWorkload(raw: Record<string, unknown>, where: string): Workload {
  const w: Workload = {};
  for (const [k, v] of Object.entries(raw)) {
    if (IGNORED.has(k)) continue;
    if (k === 'name') {
      w.name = String(v);
      continue;
    }
    if (!(NUMERIC as string[]).includes(k)) throw new Error(`${where}: unknown workload field "${k}" (known: name, ${NUMERIC.join(', ')})`);
    const n = typeof v === 'number' ? v : Number(v);
    const [lo, hi] = LIMITS[k]!;
    if (!Number.isFinite(n) || n < lo || n > hi) throw new Error(`${where}: ${k} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    (w as Record<string, number>)[k] = n;
  }
  return w;
}

export function readWorkloadFile(file: string): Workload {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected a mapping of workload fields`);
  return checkWorkload(doc as Record<string, unknown>, file);
}

/** Seconds of a timed run: the workload's, else the default. */
export function durationSeconds(w: Workload, fallback: number): number {
  if (w.testDurationSeconds !== undefined) return w.testDurationSeconds;
  if (w.testDurationMinutes !== undefined) return w.testDurationMinutes * 60;
  return fallback;
}
