// Section 1: many producer connections, each at a modest fixed rate (a fleet
// of devices or services, not one fast client): what the broker sustains,
// the produce latency from each request's intended send time, and what that
// costs the broker's CPU and the load generator's.
import { mkdirSync, rmSync } from 'node:fs';
import type { BrokerStats } from '../../src/lab/broker-process.js';
import { cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { spread } from '../lib/stats.js';
import { brokerForConnections, listenOverflows, type ConnectionLimits } from './broker-limits.js';
import { cpuShareBetween, cpuSnapshot, type CpuShare, type CpuSnapshot } from './cpu-share.js';
import { runFleet } from './producer-fleet.js';

export interface ConnectionsOptions {
  connections: number;
  ratePerConnection: number;
  recordBytes: number;
  batchRecords: number;
  partitions: number;
  seconds: number;
  warmupSeconds: number;
  threads: number;
  window: number;
  p99TargetMs: number;
}

export interface ConnectionsResult {
  engine: string;
  connections: number;
  batchRecords: number;
  recordBytes: number;
  requestsPerSecondTarget: number;
  targetRecordsPerSecond: number;
  achievedRecordsPerSecond: number;
  /** The connections' own achieved rates, slowest and median: does the broker serve them fairly? */
  perConnectionRecordsPerSecond: { min: number; median: number; max: number };
  sentRecords: number;
  ackedRecords: number;
  errors: number;
  firstError: string | null;
  /** Measured (after the warm-up). */
  seconds: number;
  warmupSeconds: number;
  /** Per produce request (a batch), from its intended send time. */
  latencyMs: { p50: number; p99: number; p999: number; max: number; count: number };
  brokerCpuSeconds: number;
  brokerCores: number;
  brokerCpuMicrosPerRecord: number;
  generator: { threads: number; cpuSeconds: number; cores: number; eventLoopBusy: number[]; eventLoopDelayMs: { p99: number; max: number }[]; saturated: boolean };
  /** The machine's busy cores and the broker's main thread meanwhile. */
  cpu: CpuShare;
  limits: ConnectionLimits;
  /** Connections the kernel dropped from a full listen backlog meanwhile (machine-wide; null where unknown). */
  listenOverflows: number | null;
  p99Met: boolean;
}

/** A generator thread whose event loop is this busy is taken to be the limit. */
export const SATURATED_BUSY = 0.9;

export async function runConnections(engine: string, dir: string, o: ConnectionsOptions): Promise<ConnectionsResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { broker, admin, limits } = await brokerForConnections(['--data-dir', dir, '--engine', engine, '--flush', 'none'], o.connections);
  try {
    await admin.createTopic('scale', o.partitions);
    let measuring: Promise<BrokerStats> | undefined;
    let measuringCpu: CpuSnapshot | undefined;
    const overflows0 = listenOverflows();
    const f = await runFleet({
      load: { host: broker.host, port: broker.port, topic: 'scale', recordsPerBatch: o.batchRecords, valueBytes: o.recordBytes, acks: 1, window: o.window, maxMs: o.seconds * 1000 },
      partitions: Array.from({ length: o.partitions }, (_, i) => i),
      connections: o.connections,
      ratePerConnection: o.ratePerConnection,
      threads: o.threads,
      warmupSeconds: o.warmupSeconds,
      onMeasure: () => {
        measuringCpu = cpuSnapshot(broker.pid);
        measuring = broker.stats();
      },
    });
    const endCpu = cpuSnapshot(broker.pid);
    const end = await broker.stats();
    const overflows1 = listenOverflows();
    const brokerCpuSeconds = cpuSecondsBetween(await measuring!, end);
    const ms = (p: number): number => f.latency.percentile(p) / 1000;
    const p99 = ms(99);
    const targetRecordsPerSecond = o.connections * o.ratePerConnection;
    const achievedRecordsPerSecond = f.measuredRecords / f.seconds;
    const busy = f.threads.map((t) => t.eventLoopBusy);
    return {
      engine,
      connections: o.connections,
      batchRecords: o.batchRecords,
      recordBytes: o.recordBytes,
      requestsPerSecondTarget: targetRecordsPerSecond / o.batchRecords,
      targetRecordsPerSecond,
      achievedRecordsPerSecond,
      perConnectionRecordsPerSecond: (({ min, median, max }) => ({ min: min / f.seconds, median: median / f.seconds, max: max / f.seconds }))(spread(f.measuredPerConnection)),
      sentRecords: f.sentRecords,
      ackedRecords: f.ackedRecords,
      errors: f.errors,
      firstError: f.firstError,
      seconds: f.seconds,
      warmupSeconds: o.warmupSeconds,
      latencyMs: { p50: ms(50), p99, p999: ms(99.9), max: f.latency.max / 1000, count: Number(f.latency.count) },
      brokerCpuSeconds,
      brokerCores: brokerCpuSeconds / f.seconds,
      brokerCpuMicrosPerRecord: (1e6 * brokerCpuSeconds) / Math.max(1, f.measuredRecords),
      generator: { threads: f.threads.length, cpuSeconds: f.cpuSeconds, cores: f.cpuSeconds / f.seconds, eventLoopBusy: busy, eventLoopDelayMs: f.threads.map((t) => t.eventLoopDelayMs), saturated: Math.max(...busy) >= SATURATED_BUSY },
      cpu: cpuShareBetween(measuringCpu!, endCpu),
      limits,
      listenOverflows: overflows0 === null || overflows1 === null ? null : overflows1 - overflows0,
      // Met only at (nearly) the rate asked for: a low p99 at a lower rate says nothing.
      p99Met: p99 <= o.p99TargetMs && f.errors === 0 && achievedRecordsPerSecond >= 0.98 * targetRecordsPerSecond,
    };
  } finally {
    admin.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
