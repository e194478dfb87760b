// Section 3: how long a broker holding a large unflushed tail takes to serve
// again. A fresh broker's first segment (commit-log file) is filled, the
// broker SIGKILLed (no clean-shutdown marker: recovery checks every batch
// past what it may trust) and started again on the same data; then stopped
// cleanly and started once more, for comparison; then SIGKILLed again
// (the producer-state snapshot its start wrote covers the whole log: what
// is left is the engine's own recovery). Timed from the spawn: the
// "listening" line (BrokerProcess.startupMs), the first Metadata answer, and
// the first ListOffsets answer, which must give the high watermark that was
// acknowledged before the kill. The page cache stays warm throughout (a
// process crash, not a machine's): this is the CPU cost of recovery, not
// the disk's.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Admin } from '../../src/client/admin.js';
import { StampedBatch } from '../../src/client/load/stamped-batch.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { fillPartition } from '../lib/fill-partition.js';

export interface RecoveryOptions {
  mib: number;
  recordBytes: number;
  reps: number;
}

export type StartKind = 'empty' | 'after SIGKILL' | 'after clean stop' | 'after SIGKILL past a snapshot';

export interface StartTiming {
  engine: string;
  rep: number;
  kind: StartKind;
  /** Spawn to the "listening" line. */
  listeningMs: number;
  /** Spawn to the first Metadata answer naming the partition. */
  metadataMs: number;
  /** Spawn to the first ListOffsets (latest) answer. */
  listOffsetsMs: number;
  highWatermark: string;
  acknowledged: string;
  hwMatches: boolean;
  /** The broker's "recovery: ..." lines from that start. */
  recoveryLog: string[];
}

export interface RecoveryResult {
  engine: string;
  /** Record-batch bytes acknowledged (the commit log adds a small header per batch). */
  logBytes: number;
  /** The data directory's log files (segments or commit-log files) after the produce. */
  logFiles: number;
  produceSeconds: number;
  timings: StartTiming[];
}

const BATCH_RECORDS = 16;
const TOPIC = 'recovery';

export async function runRecovery(engine: string, dir: string, o: RecoveryOptions, progress: (s: string) => void): Promise<RecoveryResult> {
  // Whole batches up to the size asked for: at the default 1 GiB, all of
  // the segmented engine's first segment; the commit log's entry headers
  // take it a few MiB into its second file.
  const batchBytes = new StampedBatch(0n, BATCH_RECORDS, o.recordBytes).bytes.length;
  const batches = Math.max(1, Math.floor((o.mib * 1024 * 1024) / batchBytes));
  const args = ['--data-dir', dir, '--engine', engine, '--flush', 'none'];
  const timings: StartTiming[] = [];
  let logBytes = 0;
  let logFiles = 0;
  let produceSeconds = 0;
  for (let rep = 0; rep < o.reps; rep++) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    let broker = await timedStart(null, args, engine, rep, 'empty', 0n, timings);
    try {
      progress(`recovery ${engine}: producing ${o.mib} MiB (rep ${rep + 1}/${o.reps})`);
      const admin = await Admin.connect(broker.bootstrap);
      try {
        await admin.createTopic(TOPIC, 1);
      } finally {
        admin.close();
      }
      const p = await fillPartition(broker, { topic: TOPIC, recordsPerBatch: BATCH_RECORDS, valueBytes: o.recordBytes, maxRecords: batches * BATCH_RECORDS }, 'recovery produce');
      produceSeconds = p.seconds;
      logBytes = p.bytes;
      logFiles = logFilesOf(dir, engine);
      const acknowledged = BigInt(p.ackedRecords);
      progress(`recovery ${engine}: SIGKILL and start again (rep ${rep + 1}/${o.reps})`);
      await broker.kill();
      broker = await timedStart(broker, args, engine, rep, 'after SIGKILL', acknowledged, timings);
      progress(`recovery ${engine}: clean stop and start again (rep ${rep + 1}/${o.reps})`);
      await broker.stop();
      broker = await timedStart(broker, args, engine, rep, 'after clean stop', acknowledged, timings);
      progress(`recovery ${engine}: SIGKILL after a snapshot and start again (rep ${rep + 1}/${o.reps})`);
      await broker.kill();
      broker = await timedStart(broker, args, engine, rep, 'after SIGKILL past a snapshot', acknowledged, timings);
    } finally {
      await broker.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { engine, logBytes, logFiles, produceSeconds, timings };
}

/** Starts (or restarts) the broker and times it from the spawn to its first answers. */
async function timedStart(previous: BrokerProcess | null, args: string[], engine: string, rep: number, kind: StartKind, acknowledged: bigint, timings: StartTiming[]): Promise<BrokerProcess> {
  const spawned = performance.now();
  // Not quiet: its "recovery: ..." lines are kept.
  const broker = previous ? await previous.restart() : await BrokerProcess.start(args, 0, { quiet: false });
  const admin = await Admin.connect(broker.bootstrap);
  try {
    let metadataMs = NaN;
    let listOffsetsMs = NaN;
    let hw = 0n;
    if (kind !== 'empty') {
      await admin.partitions(TOPIC);
      metadataMs = performance.now() - spawned;
      hw = (await admin.offsets(TOPIC, [0], -1n)).get(0)!;
      listOffsetsMs = performance.now() - spawned;
    }
    timings.push({
      engine,
      rep,
      kind,
      listeningMs: broker.startupMs,
      metadataMs,
      listOffsetsMs,
      highWatermark: hw.toString(),
      acknowledged: acknowledged.toString(),
      hwMatches: hw === acknowledged,
      // The same array: it fills as the broker logs, and is whole once it has stopped.
      recoveryLog: broker.recoveryLog,
    });
  } finally {
    admin.close();
  }
  return broker;
}

/** How many log files hold the partition: its .log segments, or the commit log's files. */
function logFilesOf(dir: string, engine: string): number {
  let files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (engine === 'segmented' ? /^\d{20}\.log$/.test(e.name) && basename(d) === `${TOPIC}-0` : /^\d{20}$/.test(e.name) && basename(d) === 'commitlog') files++;
    }
  };
  walk(dir);
  return files;
}
