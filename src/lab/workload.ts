// Lab settings a user can change, from flags or a YAML file. Field names
// follow OpenMessaging Benchmark's workload files (messageSize,
// producerRate, partitionsPerTopic, testDurationMinutes, and for the peers
// comparison topics, producersPerTopic, subscriptionsPerTopic,
// consumerPerSubscription, consumerBacklogSizeGB, keyDistributor,
// warmupDurationMinutes); mqlab adds `records` (per produce run) and
// `testDurationSeconds`. A scenario uses each where it applies and its own
// default otherwise; the report records the workload in force.
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
  /** The peers comparison's shape (OMB's fields); other scenarios ignore them. */
  topics?: number;
  producersPerTopic?: number;
  subscriptionsPerTopic?: number;
  consumerPerSubscription?: number;
  /** Build a backlog of this many GB with the consumers away, then drain it (peers). */
  consumerBacklogSizeGB?: number;
  warmupDurationMinutes?: number;
  /** OMB's NO_KEY (default), KEY_ROUND_ROBIN or RANDOM_NANO (peers: keyed messages). */
  keyDistributor?: 'NO_KEY' | 'KEY_ROUND_ROBIN' | 'RANDOM_NANO';
}

const NUMERIC: (keyof Workload)[] = [
  'messageSize',
  'producerRate',
  'partitionsPerTopic',
  'testDurationMinutes',
  'testDurationSeconds',
  'records',
  'topics',
  'producersPerTopic',
  'subscriptionsPerTopic',
  'consumerPerSubscription',
  'consumerBacklogSizeGB',
  'warmupDurationMinutes',
];
const KEY_DISTRIBUTORS = ['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO'];
/** OMB fields that mean nothing here: accepted and ignored, so an OMB file loads (payloads are the lab's own, stamped). */
const IGNORED = new Set(['payloadFile', 'useRandomizedPayloads', 'randomBytesRatio', 'randomizedPayloadPoolSize', 'messageRateReceivedForSubscription', 'producerStartRate', 'acceptableBacklog', 'producerIncrementRate', 'producerIncrementSeconds', 'producerPauseBeforeDrain', 'producerPauseDuringDrain']);

const LIMITS: Record<string, [number, number]> = {
  messageSize: [8, 1024 * 1024],
  // 0: the peers comparison searches for the highest rate a system sustains (OMB's meaning).
  producerRate: [0, 10_000_000],
  topics: [1, 100],
  producersPerTopic: [1, 64],
  subscriptionsPerTopic: [1, 16],
  consumerPerSubscription: [1, 64],
  consumerBacklogSizeGB: [0, 100],
  warmupDurationMinutes: [0, 60],
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
    if (k === 'keyDistributor') {
      if (!KEY_DISTRIBUTORS.includes(String(v))) throw new Error(`${where}: keyDistributor must be one of ${KEY_DISTRIBUTORS.join(', ')}, got ${JSON.stringify(v)}`);
      w.keyDistributor = String(v) as Workload['keyDistributor'];
      continue;
    }
    if (!(NUMERIC as string[]).includes(k)) throw new Error(`${where}: unknown workload field "${k}" (known: name, keyDistributor, ${NUMERIC.join(', ')})`);
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
