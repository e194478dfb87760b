// bench/compaction: the segmented engine's log cleaner.
//  1. cleaner throughput: a compacted partition of --mib MiB (keyed records,
//     --keys distinct keys), cleaned once with no I/O budget: MB of log
//     cleaned per second (and bytes read + written per second);
//  2. what a cleaning costs the traffic of another partition: for --seconds,
//     appends of 16 KiB batches (64 in flight) to a plain partition, each
//     read back at once as a consumer would, with the cleaner (a) off, (b) at
//     its I/O budget (--budget-mib, the broker's default 16 MiB/s) and (c)
//     unlimited, cleaning the compacted partition the whole time (it is
//     stopped when the time is up). Rounds alternate (off, budget,
//     unlimited) --reps times; medians, and ratios to "off" from the same run.
// In one process, on one event loop, as in the broker: the cleaner's CPU
// (decoding, MD5 of keys, re-encoding) competes with the traffic's.
//
//   node dist/bench/compaction/run.js [--mib 128] [--keys 10000] [--record-bytes 200]
//     [--seconds 3] [--budget-mib 16] [--reps 3] [--out F]
import { cpSync, mkdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/native/addon.js';
import { encodeBatch } from '../../src/records/index.js';
import { SegmentedEngine } from '../../src/storage/segmented/engine.js';
import type { CleanResult, TopicPartition } from '../../src/storage/types.js';
import { releaseRegions } from '../../src/transfer/index.js';
import { environment } from '../lib/environment.js';
import { table } from '../lib/stats.js';
import { makeBatch } from '../storage/workload.js';

const MB = 1e6;
const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '128' },
    keys: { type: 'string', default: '10000' },
    'record-bytes': { type: 'string', default: '200' },
    seconds: { type: 'string', default: '3' },
    'budget-mib': { type: 'string', default: '16' },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const COMPACTED: TopicPartition = { topic: 'table', partition: 0 };
const PLAIN: TopicPartition = { topic: 'traffic', partition: 0 };
const SEGMENT_BYTES = 8 * 1024 * 1024;
const POLICY = { deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0, minCompactionLagMs: 0, maxCompactionLagMs: -1 };

function engineAt(dir: string): SegmentedEngine {
  return new SegmentedEngine({ dir, flush: { kind: 'none' }, segmentBytes: SEGMENT_BYTES, log: (m) => console.error(m) });
}

/** A compacted partition of `bytes`: 16 KiB batches of keyed records, keys drawn evenly. */
async function fill(dir: string, bytes: number, keys: number, recordBytes: number): Promise<number> {
  const engine = engineAt(dir);
  await engine.open();
  engine.createPartition(COMPACTED);
  engine.createPartition(PLAIN);
  const value = Buffer.alloc(recordBytes, 0x62);
  let n = 0;
  let written = 0;
  while (written < bytes) {
    const records = Array.from({ length: Math.max(1, Math.floor(16384 / (recordBytes + 20))) }, () => ({ key: Buffer.from(`key-${(n++ * 7919) % keys}`), value }));
    const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records });
    await engine.append(COMPACTED, batch);
    written += batch.length;
  }
  await engine.close();
  return written;
}

async function cleanOnce(dir: string): Promise<CleanResult> {
  const engine = engineAt(dir);
  await engine.open();
  // The cleaner's own background loop picks the partition up at once.
  const cleaner = engine.startCleaner({ ioBytesPerSecond: -1, backoffMs: 3_600_000, dedupeBufferBytes: 32 * 1024 * 1024 }, (tp) => (tp.topic === COMPACTED.topic ? POLICY : null));
  const r = await new Promise<CleanResult>((resolve) => cleaner.onCleaned(resolve));
  await engine.close();
  return r;
}

interface TrafficRun {
  mode: string;
  produceMBps: number;
  fetchMBps: number;
  /** Whether the cleaner was still at work when the time was up (else the comparison is diluted). */
  cleanerBusyToEnd: boolean;
  cleanerBytes: number;
}

/** --seconds of append + read-back on the plain partition, with the cleaner as `mode` says. */
async function traffic(dir: string, mode: 'off' | 'budget' | 'unlimited', seconds: number, budget: number): Promise<TrafficRun> {
  const engine = engineAt(dir);
  await engine.open();
  let done = false;
  if (mode !== 'off') {
    const cleaner = engine.startCleaner({ ioBytesPerSecond: mode === 'budget' ? budget : -1, backoffMs: 3_600_000, dedupeBufferBytes: 32 * 1024 * 1024 }, (tp) => (tp.topic === COMPACTED.topic ? POLICY : null));
    cleaner.onCleaned(() => (done = true));
  }
  const { batch, records } = makeBatch(1024);
  const pool = Array.from({ length: 64 }, () => Buffer.from(batch));
  const slots: Promise<unknown>[] = [];
  let produced = 0;
  let fetched = 0;
  let readOffset = engine.highWatermark(PLAIN);
  const buf = Buffer.allocUnsafe(2 * 1024 * 1024);
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const slot = i % pool.length;
    if (slots[slot]) await slots[slot];
    slots[slot] = engine.append(PLAIN, pool[slot]!);
    produced += batch.length;
    if (slot === pool.length - 1) {
      // A consumer's fetch of what is there, then a turn of the event loop (the cleaner's chance, as a broker's would be).
      const hw = engine.highWatermark(PLAIN);
      while (readOffset < hw) {
        const r = engine.read(PLAIN, readOffset, 1024 * 1024);
        for (const region of r.regions) {
          for (let got = 0; got < region.length; ) got += readSync(region.file.fd, buf, got, region.length - got, region.position + got);
          fetched += region.length;
        }
        releaseRegions(r.regions);
        // Every batch here is the same size: the whole ones read give the next offset.
        readOffset += BigInt(Math.max(1, Math.floor(r.bytes / batch.length)) * records);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  await Promise.all(slots);
  const busy = mode !== 'off' && !done;
  const cleanerBytes = Number(engine.stats()['cleaner.ioBytes'] ?? 0);
  await engine.close(); // stops a cleaning still under way
  return { mode, produceMBps: produced / MB / seconds, fetchMBps: fetched / MB / seconds, cleanerBusyToEnd: busy, cleanerBytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const base = join(packageRoot(), 'data', 'bench', 'compaction');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const template = join(base, 'template');
  const bytes = await fill(template, Number(args.mib) * 1024 * 1024, Number(args.keys), Number(args['record-bytes']));
  const reps = Number(args.reps);
  const cleanRuns: CleanResult[] = [];
  for (let i = 0; i < reps; i++) {
    const dir = join(base, `clean-${i}`);
    cpSync(template, dir, { recursive: true });
    cleanRuns.push(await cleanOnce(dir));
    rmSync(dir, { recursive: true, force: true });
  }
  const logMBps = median(cleanRuns.map((r) => bytes / MB / (r.elapsedMs / 1000)));
  const ioMBps = median(cleanRuns.map((r) => (r.bytesRead + r.bytesWritten) / MB / (r.elapsedMs / 1000)));
  const budget = Number(args['budget-mib']) * 1024 * 1024;
  const runs: TrafficRun[] = [];
  for (let i = 0; i < reps; i++) {
    for (const mode of ['off', 'budget', 'unlimited'] as const) {
      const dir = join(base, `traffic-${i}-${mode}`);
      cpSync(template, dir, { recursive: true });
      runs.push(await traffic(dir, mode, Number(args.seconds), budget));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const of = (mode: string, f: (r: TrafficRun) => number): number => median(runs.filter((r) => r.mode === mode).map(f));
  const off = { p: of('off', (r) => r.produceMBps), f: of('off', (r) => r.fetchMBps) };
  const rows = ['off', 'budget', 'unlimited'].map((mode) => {
    const p = of(mode, (r) => r.produceMBps);
    const f = of(mode, (r) => r.fetchMBps);
    const busy = runs.filter((r) => r.mode === mode && r.cleanerBusyToEnd).length;
    const cleanerMBps = of(mode, (r) => r.cleanerBytes) / MB / Number(args.seconds);
    return [mode === 'budget' ? `at budget (${args['budget-mib']} MiB/s)` : mode, p.toFixed(0), f.toFixed(0), (p / off.p).toFixed(2), (f / off.f).toFixed(2), cleanerMBps.toFixed(1), mode === 'off' ? '-' : `${busy}/${reps}`];
  });
  console.log(`compacted partition: ${(bytes / MB).toFixed(0)} MB, ${args.keys} keys, ${args['record-bytes']} B values; cleaned alone: ${logMBps.toFixed(0)} MB of log/s (${ioMBps.toFixed(0)} MB/s read + written), ${cleanRuns[0]!.recordsKept} of ${cleanRuns[0]!.recordsRead} records kept`);
  console.log(table(['cleaner', 'produce MB/s', 'fetch MB/s', 'produce vs off', 'fetch vs off', 'cleaner I/O MB/s', 'cleaner busy to the end'], rows));
  const out = args.out ?? join(packageRoot(), 'reports', `compaction-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ environment: environment(), args, logBytes: bytes, cleanRuns, runs }, null, 2));
  console.log(`wrote ${out}`);
  rmSync(base, { recursive: true, force: true });
}

await main();
