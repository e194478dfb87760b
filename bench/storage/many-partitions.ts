// bench/storage, many partitions: each engine opens N partitions (10,000),
// appends to all of them round-robin, reads all of them back, and is
// reopened; against 1 partition taking the same bytes. Per configuration:
// time to create and to reopen, memory per partition (RSS and heap, from
// process.memoryUsage() before and after, divided by N), open fds (counted
// in /proc/self/fd), append and read throughput, and what the open-file
// pool did (closes and reopens). Each configuration runs in a child process
// of its own (with --expose-gc), so no run's memory is another's.
//
//   node dist/bench/storage/run.js --many-partitions 10000 [--engines segmented,commitlog]
//     [--max-open-files default,1000] [--rounds 4] [--record-bytes 1024] [--reps 1] [--out F]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/native/addon.js';
import { createEngine, type EngineOptions, type StorageEngine, type TopicPartition } from '../../src/storage/index.js';
import { defaultMaxOpenFiles } from '../../src/storage/file-pool.js';
import { environment } from '../lib/environment.js';
import { spread, table } from '../lib/stats.js';
import { appendLoop, makeBatch, readLoop } from './workload.js';

export interface ManyPartitionsOptions {
  partitions: number;
  engines: string[];
  /** Open-file limits to run with; null: the engine's default (half of ulimit -n). */
  budgets: (number | null)[];
  /** Appends per partition. */
  rounds: number;
  recordBytes: number;
  reps: number;
  out?: string;
}

/** One child's configuration. */
interface Config {
  engine: string;
  partitions: number;
  maxOpenFiles: number | null;
  totalBytes: number;
  recordBytes: number;
  dir: string;
}

interface Memory {
  rss: number;
  heapUsed: number;
  /** Buffers and other memory outside the JS heap. */
  external: number;
}

interface Result {
  config: Config;
  maxOpenFiles: number;
  createMs: number;
  reopenMs: number;
  /** Per partition, bytes: after creating them, and after the appends (tails, indexes in memory). */
  perPartitionCreated: Memory;
  perPartitionAppended: Memory;
  fdsBefore: number;
  fdsCreated: number;
  fdsMost: number;
  fdsReopened: number;
  appendMBps: number;
  appendSeconds: number;
  readGBps: number;
  reads: number;
  stats: Record<string, number>;
}

const MB = 1e6;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function memory(): Memory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

function perPartition(a: Memory, b: Memory, n: number): Memory {
  return { rss: (b.rss - a.rss) / n, heapUsed: (b.heapUsed - a.heapUsed) / n, external: (b.external - a.external) / n };
}

function engineOptions(c: Config): EngineOptions {
  return { dir: c.dir, flush: { kind: 'none' }, limits: { maxPartitions: Math.max(c.partitions, 10_000) }, ...(c.maxOpenFiles === null ? {} : { maxOpenFiles: c.maxOpenFiles }) };
}

/** In the child: one configuration, measured. */
async function measure(c: Config): Promise<Result> {
  rmSync(c.dir, { recursive: true, force: true });
  mkdirSync(c.dir, { recursive: true });
  const { batch, records } = makeBatch(c.recordBytes);
  const tps: TopicPartition[] = Array.from({ length: c.partitions }, (_, p) => ({ topic: 'many', partition: p }));
  const e: StorageEngine = createEngine(c.engine, engineOptions(c));
  await e.open();
  const m0 = memory();
  const fdsBefore = openFds();
  let t = performance.now();
  for (const tp of tps) e.createPartition(tp);
  const createMs = performance.now() - t;
  const m1 = memory();
  const fdsCreated = openFds();
  // Appends yield to the event loop (64 in flight): a timer samples the fds meanwhile.
  let fdsMost = fdsCreated;
  const sampler = setInterval(() => (fdsMost = Math.max(fdsMost, openFds())), 20);
  const run = await appendLoop(e, tps, batch, records, c.totalBytes);
  clearInterval(sampler);
  fdsMost = Math.max(fdsMost, openFds());
  const m2 = memory();
  const read = readLoop(e, tps);
  fdsMost = Math.max(fdsMost, openFds());
  const stats = e.stats();
  await e.close();
  const again = createEngine(c.engine, engineOptions(c));
  t = performance.now();
  await again.open();
  const reopenMs = performance.now() - t;
  const fdsReopened = openFds();
  await again.close();
  rmSync(c.dir, { recursive: true, force: true });
  return {
    config: c,
    maxOpenFiles: stats.maxOpenFiles!,
    createMs,
    reopenMs,
    perPartitionCreated: perPartition(m0, m1, c.partitions),
    perPartitionAppended: perPartition(m0, m2, c.partitions),
    fdsBefore,
    fdsCreated,
    fdsMost,
    fdsReopened,
    appendMBps: run.bytes / run.seconds / MB,
    appendSeconds: run.seconds,
    readGBps: read.bytes / read.seconds / 1e9,
    reads: read.reads,
    stats,
  };
}

/** In the parent: every configuration in a child of its own; prints the table and writes the JSON. */
export async function runManyPartitions(o: ManyPartitionsOptions): Promise<void> {
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'storage-partitions');
  const script = fileURLToPath(import.meta.url);
  const batchBytes = makeBatch(o.recordBytes).batch.length;
  // The same bytes in every configuration: N partitions × rounds batches, or all of them in one partition.
  const totalBytes = o.partitions * o.rounds * batchBytes;
  const results: Result[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    for (const engine of o.engines) {
      const configs: Config[] = [
        { engine, partitions: 1, maxOpenFiles: null, totalBytes, recordBytes: o.recordBytes, dir: join(base, engine) },
        ...o.budgets.map((b) => ({ engine, partitions: o.partitions, maxOpenFiles: b, totalBytes, recordBytes: o.recordBytes, dir: join(base, engine) })),
      ];
      for (const c of configs) {
        if (process.stderr.isTTY) process.stderr.write(`\rrep ${rep + 1}/${o.reps} ${engine} p=${c.partitions} files=${c.maxOpenFiles ?? 'default'}`.padEnd(70));
        const child = spawnSync(process.execPath, ['--expose-gc', script, '--child', JSON.stringify(c)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
        if (child.status !== 0) throw new Error(`${engine} with ${c.partitions} partitions failed: ${child.stderr}`);
        results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Result);
      }
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(72) + '\r');
  rmSync(base, { recursive: true, force: true });

  const groups = new Map<string, Result[]>();
  for (const r of results) {
    const k = `${r.config.engine}|${r.config.partitions}|${r.config.maxOpenFiles ?? 'default'}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const med = (rs: Result[], f: (r: Result) => number): number => spread(rs.map(f)).median;
  const one = (engine: string): Result[] => groups.get(`${engine}|1|default`)!;
  const rows = [...groups.entries()].map(([k, rs]) => {
    const [engine, partitions, files] = k.split('|');
    const n = Number(partitions);
    const vsOne = med(rs, (r) => r.appendMBps) / med(one(engine!), (r) => r.appendMBps);
    return [
      engine!,
      partitions!,
      files === 'default' ? `${rs[0]!.maxOpenFiles} (default)` : files!,
      `${med(rs, (r) => r.createMs).toFixed(0)} (${((med(rs, (r) => r.createMs) * 1000) / n).toFixed(0)} µs each)`,
      med(rs, (r) => r.reopenMs).toFixed(0),
      n === 1 ? '-' : `${med(rs, (r) => r.perPartitionCreated.rss).toFixed(0)} / ${med(rs, (r) => r.perPartitionAppended.rss).toFixed(0)}`,
      n === 1 ? '-' : `${med(rs, (r) => r.perPartitionCreated.heapUsed).toFixed(0)} / ${med(rs, (r) => r.perPartitionAppended.heapUsed).toFixed(0)}`,
      `${med(rs, (r) => r.fdsCreated - r.fdsBefore)} / ${med(rs, (r) => r.fdsMost - r.fdsBefore)} / ${med(rs, (r) => r.fdsReopened - r.fdsBefore)}`,
      med(rs, (r) => r.appendMBps).toFixed(0),
      vsOne.toFixed(2),
      med(rs, (r) => r.readGBps).toFixed(2),
      `${med(rs, (r) => r.stats.fileEvictions!)} / ${med(rs, (r) => r.stats.fileReopens!)}`,
    ];
  });
  const record = `${o.recordBytes} B records, ${batchBytes} B batches, ${o.rounds} appends per partition (${(totalBytes / MB).toFixed(0)} MB), flush none, 64 appends in flight; ${o.reps} run(s), medians`;
  console.log(
    `Many partitions (${record})\n` +
      table(
        ['engine', 'partitions', 'max open files', 'create ms', 'reopen ms', 'RSS B/partition (created / appended)', 'heap B/partition (created / appended)', 'fds (created / most / reopened)', 'append MB/s', 'vs 1 partition', 'read GB/s', 'pool closes / reopens'],
        rows,
      ),
  );
  const out = o.out ?? join(root, 'reports', `storage-partitions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'storage-partitions', command: process.argv.join(' '), environment: environment(), defaultMaxOpenFiles: defaultMaxOpenFiles(), options: o, results }, null, 2));
  console.log(`\nwrote ${out}`);
}

if (process.argv[2] === '--child') {
  const result = await measure(JSON.parse(process.argv[3]!) as Config);
  console.log(JSON.stringify(result));
}
