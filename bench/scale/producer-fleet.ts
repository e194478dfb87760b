// Many paced producer connections (produceLoad each) on worker threads, as
// many as asked for, so that one event loop's limit need not pass for the
// broker's. All connections are opened first and start at one instant, each
// at its own phase of the send interval: the broker sees a steady stream,
// not a thousand requests in the same millisecond every interval. Latency counts
// from each request's intended send time (produceLoad's), so a generator
// that falls behind shows up in the percentiles too; its own CPU and each
// thread's event-loop busy share say whether it did. The first seconds are a
// warm-up (both sides' JIT, the broker's first segments): sent at the same
// rate, but counted in neither the latency, the rate nor the CPU figures.
import { join } from 'node:path';
import { performance, type RecordableHistogram } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { newLatencyHistogram } from '../../src/client/load/histogram.js';
import type { ProducerLoadOptions } from '../../src/client/load/producer.js';
import { packageRoot } from '../../src/native/addon.js';

export type FleetLoad = Pick<ProducerLoadOptions, 'host' | 'port' | 'topic' | 'recordsPerBatch' | 'valueBytes' | 'acks' | 'window' | 'maxMs'>;

/** What one thread runs (its workerData). */
export interface FleetShare {
  load: FleetLoad;
  partitions: number[];
  ratePerConnection: number;
  totalConnections: number;
  firstConnection: number;
  connections: number;
  startAtEpochMs: number;
  warmupMs: number;
  /** Connections opened per millisecond by this thread. */
  openBurst: number;
}

export interface ThreadSummary {
  connections: number;
  sentRecords: number;
  ackedRecords: number;
  /** Acknowledged after the warm-up, per connection. */
  measuredPerConnection: number[];
  errors: number;
  firstError: string | null;
  bytes: number;
  seconds: number;
  /** The thread's event loop, busy share after the warm-up (1 = never idle). */
  eventLoopBusy: number;
  /** How late the thread's timers ran after the warm-up (monitorEventLoopDelay, 1 ms resolution). */
  eventLoopDelayMs: { p99: number; max: number };
  latency: RecordableHistogram;
}

export interface FleetOptions {
  load: FleetLoad;
  partitions: number[];
  connections: number;
  ratePerConnection: number;
  threads: number;
  /** Sent at the same rate before measuring. */
  warmupSeconds: number;
  /** Called when the warm-up ends (to read the broker's CPU then). */
  onMeasure?: () => void;
}

export interface FleetResult {
  threads: ThreadSummary[];
  sentRecords: number;
  ackedRecords: number;
  errors: number;
  firstError: string | null;
  bytes: number;
  /** Acknowledged after the warm-up (in all, and per connection), and the time from its end to the last answer. */
  measuredRecords: number;
  measuredPerConnection: number[];
  seconds: number;
  /** Requests due after the warm-up. */
  latency: RecordableHistogram;
  /** This process's CPU (every thread) from the warm-up's end to the last answer. */
  cpuSeconds: number;
  /** Time given to opening the connections before the start. */
  openMs: number;
}

/** Connections each thread opens per millisecond. */
const OPEN_BURST = 1;

const epochMs = (): number => performance.timeOrigin + performance.now();

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const threads = Math.max(1, Math.min(o.threads, o.connections));
  // Opening at OPEN_BURST per ms per thread, with as much again to spare
  // for the broker to accept them and the threads to start.
  const openMs = Math.ceil((2 * o.connections) / (OPEN_BURST * threads)) + 500;
  const startAtEpochMs = epochMs() + openMs;
  const script = join(packageRoot(), 'dist', 'bench', 'scale', 'fleet-worker.js');
  const warmupMs = o.warmupSeconds * 1000;
  let cpu0 = process.cpuUsage();
  const measuring = setTimeout(() => {
    cpu0 = process.cpuUsage();
    o.onMeasure?.();
  }, openMs + warmupMs);
  const shares: FleetShare[] = [];
  for (let t = 0, first = 0; t < threads; t++) {
    const connections = Math.floor(o.connections / threads) + (t < o.connections % threads ? 1 : 0);
    shares.push({ load: o.load, partitions: o.partitions, ratePerConnection: o.ratePerConnection, totalConnections: o.connections, firstConnection: first, connections, startAtEpochMs, warmupMs, openBurst: OPEN_BURST });
    first += connections;
  }
  const workers = shares.map((share) => new Worker(script, { workerData: share }));
  try {
    const summaries = await Promise.all(
      workers.map(
        (w) =>
          new Promise<ThreadSummary>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`a producer-fleet thread exited (code ${code}) without a summary`)));
          }),
      ),
    );
    const cpu = process.cpuUsage(cpu0);
    const latency = newLatencyHistogram();
    for (const s of summaries) latency.add(s.latency);
    const sum = (k: 'sentRecords' | 'ackedRecords' | 'errors' | 'bytes'): number => summaries.reduce((n, s) => n + s[k], 0);
    const perConnection = summaries.flatMap((s) => s.measuredPerConnection);
    return {
      threads: summaries,
      sentRecords: sum('sentRecords'),
      ackedRecords: sum('ackedRecords'),
      errors: sum('errors'),
      firstError: summaries.find((s) => s.firstError)?.firstError ?? null,
      bytes: sum('bytes'),
      measuredRecords: perConnection.reduce((a, b) => a + b, 0),
      measuredPerConnection: perConnection,
      seconds: Math.max(...summaries.map((s) => s.seconds)) - o.warmupSeconds,
      latency,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      openMs,
    };
  } finally {
    clearTimeout(measuring);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
