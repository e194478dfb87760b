// Section 2: many consumers of one partition at once, each reading it from
// start to end (a backlog replayed by a hundred subscribers, or a hundred
// services catching up after a deploy), per transfer strategy swapped live
// on one broker. The bytes are the same for every consumer, so this is
// where copying them per consumer, or not, should show most.
import { mkdirSync, rmSync } from 'node:fs';
import { Admin } from '../../src/client/admin.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import type { StrategyName } from '../../src/native/addon.js';
import { fillPartition } from '../lib/fill-partition.js';
import { cpuShareBetween, cpuSnapshot, type CpuShare } from './cpu-share.js';
import { runFetchFleet } from './fetch-fleet.js';

export interface FanOutOptions {
  consumers: number;
  mib: number;
  fetchMib: number;
  recordBytes: number;
  strategies: StrategyName[];
  reps: number;
  /** Consumer threads in this process. */
  threads: number;
}

export interface FanOutSample {
  engine: string;
  strategy: StrategyName;
  rep: number;
  consumers: number;
  bytes: number;
  seconds: number;
  gbPerSecond: number;
  brokerCpuSeconds: number;
  brokerCpuSecondsPerGB: number;
  /** From the addon's counters of this strategy, per GB of log bytes sent. */
  syscallsPerGB: number;
  sendsPerGB: number;
  /** GB the CPU copied per GB sent: 0 sendfile, 1 mmap, 2 copy. */
  copiedPerByte: number;
  /** The consumers' side (this process, every thread): CPU, and each thread's event-loop busy share. */
  clientCpuSeconds: number;
  clientEventLoopBusy: number[];
  /** The slowest and fastest consumer's time to read the whole partition. */
  slowestSeconds: number;
  fastestSeconds: number;
  cpu: CpuShare;
}

export interface FanOutResult {
  engine: string;
  partitionBytes: number;
  records: number;
  samples: FanOutSample[];
}

/** Records per produced batch (the fetch loop needs them all the same size). */
const BATCH_RECORDS = 16;

export async function runFanOut(engine: string, dir: string, o: FanOutOptions, progress: (s: string) => void): Promise<FanOutResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none']);
  const admin = await Admin.connect(broker.bootstrap);
  try {
    await admin.createTopic('fanout', 1);
    progress(`fan-out ${engine}: producing ${o.mib} MiB`);
    const maxRecords = Math.ceil((o.mib * 1024 * 1024) / o.recordBytes / BATCH_RECORDS) * BATCH_RECORDS;
    const p = await fillPartition(broker, { topic: 'fanout', recordsPerBatch: BATCH_RECORDS, valueBytes: o.recordBytes, maxRecords }, 'fan-out produce');
    const end = (await admin.offsets('fanout', [0], -1n)).get(0)!;
    if (end !== BigInt(p.ackedRecords)) throw new Error(`fan-out: high watermark ${end}, ${p.ackedRecords} records acknowledged`);
    const batchBytes = p.bytes / (p.sentRecords / BATCH_RECORDS);
    const fleet = { host: broker.host, port: broker.port, topic: 'fanout', endOffset: end, recordsPerBatch: BATCH_RECORDS, batchBytes, maxBytes: o.fetchMib * 1024 * 1024, threads: o.threads };
    // Unmeasured: one consumer per thread warms the JIT on both sides, so the first strategy is not the one that pays for it.
    await runFetchFleet({ ...fleet, consumers: o.threads });
    const samples: FanOutSample[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      // A different order each rep, so no strategy always runs first.
      for (let i = 0; i < o.strategies.length; i++) {
        const strategy = o.strategies[(i + rep) % o.strategies.length]!;
        progress(`fan-out ${engine}: ${o.consumers} consumers, ${strategy} (rep ${rep + 1}/${o.reps})`);
        await admin.alterConfigs({ 'transfer.strategy': strategy });
        const before = await broker.resetCounters();
        const cpu0 = cpuSnapshot(broker.pid);
        const f = await runFetchFleet({ ...fleet, consumers: o.consumers });
        const cpu = cpuShareBetween(cpu0, cpuSnapshot(broker.pid));
        const after = await broker.stats();
        const c = after.transfer[strategy];
        const { bytes, seconds } = f;
        const gb = c.fileBytes / 1e9;
        const brokerCpuSeconds = cpuSecondsBetween(before, after);
        samples.push({
          engine,
          strategy,
          rep,
          consumers: o.consumers,
          bytes,
          seconds,
          gbPerSecond: bytes / seconds / 1e9,
          brokerCpuSeconds,
          brokerCpuSecondsPerGB: brokerCpuSeconds / (bytes / 1e9),
          syscallsPerGB: Object.values(c.syscalls).reduce((n, v) => n + v, 0) / gb,
          sendsPerGB: c.sends / gb,
          copiedPerByte: c.copiedBytes / Math.max(1, c.fileBytes),
          clientCpuSeconds: f.cpuSeconds,
          clientEventLoopBusy: f.eventLoopBusy,
          slowestSeconds: Math.max(...f.consumerSeconds),
          fastestSeconds: Math.min(...f.consumerSeconds),
          cpu,
        });
      }
    }
    return { engine, partitionBytes: p.bytes, records: p.ackedRecords, samples };
  } finally {
    admin.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
