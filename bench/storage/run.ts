// bench/storage: append throughput of each engine x flush policy x
// partition count x record size, read throughput and the commit log's
// two-read cost, with raw write(2) baselines measured in the same run, so
// every engine figure is also a ratio to what the disk allows here.
//
//   node dist/bench/storage/run.js [--reps 1] [--mib 128] [--batch-mib 32]
//     [--partitions 1,16,256,1024] [--record-bytes 100,1024]
//     [--engines segmented,commitlog] [--flush none,interval,batch] [--out F]
//
// With --many-partitions N (10,000, say) it runs many-partitions.ts instead:
// N partitions per engine against 1, with memory, fds and open-file pool
// figures, under each of --max-open-files (default: the engine's default,
// and 1,000), --rounds appends per partition, records of the largest
// --record-bytes.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/native/addon.js';
import { createEngine, ENGINE_KINDS, type FlushPolicy, type TopicPartition } from '../../src/storage/index.js';
import { fmtSpread, spread, table, type Spread } from '../lib/stats.js';
import { mappedWrites, rawWrites, type RawResult } from './baselines.js';
import { runManyPartitions } from './many-partitions.js';
import { appendLoop, flushName, makeBatch, readLoop, type ReadRun } from './workload.js';

const MB = 1e6;
const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '1' },
    mib: { type: 'string', default: '128' },
    'batch-mib': { type: 'string', default: '32' },
    partitions: { type: 'string', default: '1,16,256,1024' },
    'record-bytes': { type: 'string', default: '100,1024' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    flush: { type: 'string', default: 'none,interval,batch' },
    out: { type: 'string' },
    'many-partitions': { type: 'string' },
    'max-open-files': { type: 'string', default: 'default,1000' },
    rounds: { type: 'string', default: '4' },
  },
});
const reps = Number(args.reps);
const totalBytes = Number(args.mib) * 1024 * 1024;
const batchFlushBytes = Math.min(totalBytes, Number(args['batch-mib']) * 1024 * 1024);
const partitionCounts = args.partitions!.split(',').map(Number);
const recordSizes = args['record-bytes']!.split(',').map(Number);
const engines = args.engines!.split(',');
const flushes: FlushPolicy[] = args.flush!.split(',').map((f) => (f === 'interval' ? { kind: 'interval', intervalMs: 50 } : f === 'batch' ? { kind: 'batch' } : { kind: 'none' }));

interface AppendRow {
  engine: string;
  flush: string;
  partitions: number;
  recordBytes: number;
  mbPerSecond: Spread;
  recordsPerSecond: Spread;
  vsRawOneFile: Spread;
  vsRawSameFiles: Spread;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'storage');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const raw: RawResult[] = [];
  const appendRuns = new Map<string, { mbps: number[]; rps: number[]; vs1: number[]; vsN: number[] }>();
  const reads: { engine: string; partitions: number; run: ReadRun }[] = [];
  const tty = process.stderr.isTTY;
  const batches = new Map(recordSizes.map((s) => [s, makeBatch(s)]));

  // Page-cache writeback makes the disk's speed drift by 2x within a run, so
  // every engine run is paired with raw baselines measured just before it,
  // and ratios are taken pair by pair.
  for (let rep = 0; rep < reps; rep++) {
    for (const partitions of partitionCounts) {
      for (const recordBytes of recordSizes) {
        const { batch, records } = batches.get(recordBytes)!;
        for (const engine of engines) {
          for (const flush of flushes) {
            if (tty) process.stderr.write(`\rrep ${rep + 1}/${reps} ${engine} ${flushName(flush)} p=${partitions} ${recordBytes}B`.padEnd(70));
            const bytes = flush.kind === 'batch' ? batchFlushBytes : totalBytes;
            const one = rawWrites(join(base, 'raw'), batch, 1, bytes);
            const many = partitions === 1 ? one : rawWrites(join(base, 'raw'), batch, partitions, bytes);
            raw.push(one);
            if (many !== one) raw.push(many);
            const dir = join(base, engine);
            const e = createEngine(engine, { dir, flush, limits: { maxPartitions: 100_000 } });
            await e.open();
            const tps: TopicPartition[] = Array.from({ length: partitions }, (_, p) => ({ topic: 'bench', partition: p }));
            for (const tp of tps) e.createPartition(tp);
            const run = await appendLoop(e, tps, batch, records, bytes);
            if (flush.kind === 'none' && recordBytes === recordSizes[0]) reads.push({ engine, partitions, run: readLoop(e, tps) });
            await e.close();
            rmSync(dir, { recursive: true, force: true });
            const key = `${engine}|${flushName(flush)}|${partitions}|${recordBytes}`;
            const m = appendRuns.get(key) ?? { mbps: [], rps: [], vs1: [], vsN: [] };
            const mbps = run.bytes / run.seconds / MB;
            m.mbps.push(mbps);
            m.rps.push(run.records / run.seconds);
            m.vs1.push(mbps / (one.bytes / one.seconds / MB));
            m.vsN.push(mbps / (many.bytes / many.seconds / MB));
            appendRuns.set(key, m);
          }
        }
      }
    }
    raw.push(rawWrites(join(base, 'raw'), batches.get(recordSizes[0]!)!.batch, 1, batchFlushBytes, 1024 * 1024));
    raw.push(mappedWrites(join(base, 'raw'), batches.get(recordSizes[0]!)!.batch, totalBytes));
  }
  if (tty) process.stderr.write('\r'.padEnd(72) + '\r');

  const rows: AppendRow[] = [...appendRuns.entries()].map(([key, m]) => {
    const [engine, flush, partitions, recordBytes] = key.split('|');
    return {
      engine: engine!,
      flush: flush!,
      partitions: Number(partitions),
      recordBytes: Number(recordBytes),
      mbPerSecond: spread(m.mbps),
      recordsPerSecond: spread(m.rps),
      vsRawOneFile: spread(m.vs1),
      vsRawSameFiles: spread(m.vsN),
    };
  });
  const rawRows = [...new Set(raw.map((r) => r.name))].map((name) => ({ name, mbPerSecond: spread(raw.filter((r) => r.name === name).map((r) => r.bytes / r.seconds / MB)) }));

  console.log('Baselines (same run)\n' + table(['what', 'MB/s'], rawRows.map((r) => [r.name, fmtSpread(r.mbPerSecond, 0)])));
  console.log(
    '\nAppends (16 KiB batches, 64 in flight)\n' +
      table(
        ['engine', 'flush', 'partitions', 'record', 'MB/s', 'records/s', 'vs raw 1 file', 'vs raw N files'],
        rows.map((r) => [r.engine, r.flush, String(r.partitions), `${r.recordBytes} B`, fmtSpread(r.mbPerSecond, 0), r.recordsPerSecond.median.toFixed(0), fmtSpread(r.vsRawOneFile), fmtSpread(r.vsRawSameFiles)]),
      ),
  );
  console.log(
    '\nReads (1 MiB per read, flush none, regions pread)\n' +
      table(
        ['engine', 'partitions', 'GB/s', 'reads', 'engine stats per read'],
        reads.map((r) => [r.engine, String(r.partitions), (r.run.bytes / r.run.seconds / 1e9).toFixed(2), String(r.run.reads), Object.entries(r.run.stats).filter(([k]) => /Reads$/.test(k)).map(([k, v]) => `${k} ${(v / r.run.reads).toFixed(2)}`).join(', ')]),
      ),
  );
  const targets = verdicts(rows);
  console.log('\n' + table(['target', 'measured', 'met'], targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO'])));
  const out = args.out ?? join(root, 'reports', `storage-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  const environment = { node: process.version, kernel: release(), cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem() };
  writeFileSync(out, JSON.stringify({ bench: 'storage', command: process.argv.join(' '), environment, reps, totalBytes, raw, rows, reads, targets }, null, 2));
  console.log(`\nwrote ${out}`);
  rmSync(base, { recursive: true, force: true });
}

function verdicts(rows: AppendRow[]): { target: string; measured: string; met: boolean }[] {
  const out: { target: string; measured: string; met: boolean }[] = [];
  const find = (engine: string, p: number, size: number) => rows.find((r) => r.engine === engine && r.flush === 'none' && r.partitions === p && r.recordBytes === size);
  const size = Math.max(...rows.map((r) => r.recordBytes));
  for (const engine of engines) {
    const one = find(engine, 1, size);
    if (one) out.push({ target: `${engine}, 1 partition, ${size} B, flush none: ≥ 0.8× raw 1 file`, measured: `${one.vsRawOneFile.median.toFixed(2)}×`, met: one.vsRawOneFile.median >= 0.8 });
    const most = Math.max(...rows.map((r) => r.partitions));
    const many = find(engine, most, size);
    if (one && many && most > 1) {
      const keep = many.mbPerSecond.median / one.mbPerSecond.median;
      out.push({ target: `${engine}: ${most} partitions keeps ≥ 0.9× its 1-partition throughput${engine === 'segmented' ? ' (a finding, not a target)' : ''}`, measured: `${keep.toFixed(2)}×`, met: keep >= 0.9 });
    }
  }
  return out;
}

if (args['many-partitions'] !== undefined) {
  await runManyPartitions({
    partitions: Number(args['many-partitions']),
    engines,
    budgets: args['max-open-files']!.split(',').map((b) => (b === 'default' ? null : Number(b))),
    rounds: Number(args.rounds),
    recordBytes: Math.max(...recordSizes),
    reps,
    out: args.out,
  });
} else {
  await main();
}
