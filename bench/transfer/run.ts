// bench/transfer: a file in the page cache sent to a loopback sink by each
// strategy through the addon, and by the C reference in the same run, runs
// interleaved so that the machine's drift hits both alike. Prints a table
// and writes reports/transfer-<time>.json.
//
//   node dist/bench/transfer/run.js [--reps 3] [--mib-per-run 512]
//        [--sizes 16384,262144,1048576,67108864] [--strace] [--out FILE]
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packageRoot, STRATEGY_NAMES, type StrategyName } from '../../src/native/addon.js';
import { environment } from '../lib/environment.js';
import { fmtBytes, fmtSpread, spread, table, type Spread } from '../lib/stats.js';
import { SharedFile } from '../../src/transfer/index.js';
import { runAddon, type AddonResult, type Sender } from './addon-runner.js';
import { buildReference, runReference, Sink, type RefResult } from './reference.js';
import { straceAvailable, straceCheck, type StraceCheck } from './strace-check.js';

const GB = 1e9;
const FILE_BYTES = 64 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    'mib-per-run': { type: 'string', default: '512' },
    sizes: { type: 'string', default: '16384,262144,1048576,67108864' },
    strace: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: mqlab-bench-transfer [--reps N] [--mib-per-run N] [--sizes a,b,c] [--strace] [--out FILE]');
  process.exit(0);
}
const reps = Number(args.reps);
const bytesPerRun = Number(args['mib-per-run']) * 1024 * 1024;
const sizes = args.sizes!.split(',').map(Number);
for (const s of sizes) if (!(s > 0 && s <= FILE_BYTES)) throw new RangeError(`size ${s} must be in (0, ${FILE_BYTES}]`);

interface Row {
  size: number;
  sender: string;
  gbPerSecond: Spread;
  cpuSecondsPerGb: Spread;
  sendsPerSecond: Spread;
  syscallsPerGb: Spread;
  copiesPerByte: Spread;
  ref?: { gbPerSecond: Spread; cpuSecondsPerGb: Spread; syscallsPerGb: Spread };
  ratio?: { throughput: Spread; cpuPerGb: Spread };
}

function dataFile(root: string): string {
  const dir = join(root, 'data', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'transfer-64MiB.bin');
  if (!existsSync(file) || statSync(file).size !== FILE_BYTES) writeFileSync(file, randomBytes(FILE_BYTES));
  readFileSync(file); // into the page cache
  return file;
}

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const root = packageRoot();
  const bin = buildReference(root);
  const file = dataFile(root);
  const memory = readFileSync(file);
  const shared = new SharedFile(openSync(file, 'r'), file);
  const sink = await Sink.start(bin);
  const senders: Sender[] = [...STRATEGY_NAMES, 'node-write', 'threadpool-sendfile'];
  const addon = new Map<string, AddonResult[]>();
  const ref = new Map<string, RefResult[]>();
  const key = (size: number, s: string): string => `${size}/${s}`;
  const push = <T>(m: Map<string, T[]>, k: string, v: T): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  const tty = process.stderr.isTTY;

  for (let rep = 0; rep < reps; rep++) {
    for (const size of sizes) {
      const count = Math.max(1, Math.round(bytesPerRun / size));
      for (const s of senders) {
        if (tty) process.stderr.write(`\rrep ${rep + 1}/${reps} ${fmtBytes(size).padEnd(7)} ${s.padEnd(20)}`);
        if ((STRATEGY_NAMES as readonly string[]).includes(s)) {
          push(ref, key(size, s), runReference(bin, sink.port, file, s, size, count));
        }
        push(addon, key(size, s), await runAddon(sink.port, shared, memory, s, size, count));
      }
    }
  }
  if (tty) process.stderr.write('\r'.padEnd(60) + '\r');

  const rows: Row[] = [];
  for (const size of sizes) {
    for (const s of senders) {
      const runs = addon.get(key(size, s))!;
      const refs = ref.get(key(size, s));
      const row: Row = {
        size,
        sender: s,
        gbPerSecond: spread(runs.map((r) => r.bytes / r.seconds / GB)),
        cpuSecondsPerGb: spread(runs.map((r) => r.cpuSeconds / (r.bytes / GB))),
        sendsPerSecond: spread(runs.map((r) => r.count / r.seconds)),
        syscallsPerGb: spread(runs.filter((r) => r.counters).map((r) => sum(r.counters!.syscalls as unknown as Record<string, number>) / (r.bytes / GB))),
        copiesPerByte: spread(runs.filter((r) => r.counters).map((r) => r.counters!.copiedBytes / r.counters!.fileBytes)),
      };
      if (refs) {
        row.ref = {
          gbPerSecond: spread(refs.map((r) => r.bytes / r.seconds / GB)),
          cpuSecondsPerGb: spread(refs.map((r) => (r.cpuUserSeconds + r.cpuSystemSeconds) / (r.bytes / GB))),
          syscallsPerGb: spread(refs.map((r) => sum(r.syscalls) / (r.bytes / GB))),
        };
        // Ratios pair each addon run with the reference run just before it.
        row.ratio = {
          throughput: spread(runs.map((r, i) => r.bytes / r.seconds / (refs[i]!.bytes / refs[i]!.seconds))),
          cpuPerGb: spread(runs.map((r, i) => r.cpuSeconds / r.bytes / ((refs[i]!.cpuUserSeconds + refs[i]!.cpuSystemSeconds) / refs[i]!.bytes))),
        };
      }
      rows.push(row);
    }
  }

  let strace: StraceCheck[] = [];
  if (args.strace) {
    if (!straceAvailable()) console.error('strace is not installed: skipping the cross-check');
    else {
      const child = join(root, 'dist', 'bench', 'transfer', 'strace-child.js');
      strace = STRATEGY_NAMES.map((s) => straceCheck(child, sink.port, file, s, 65536, 20_000));
    }
  }
  await sink.stop();
  shared.close();

  console.log(
    table(
      ['size', 'sender', 'GB/s', 'C GB/s', 'GB/s vs C', 'CPU s/GB', 'C CPU s/GB', 'CPU vs C', 'sends/s', 'syscalls/GB', 'copies/B'],
      rows.map((r) => [
        fmtBytes(r.size),
        r.sender,
        fmtSpread(r.gbPerSecond),
        r.ref ? fmtSpread(r.ref.gbPerSecond) : '',
        r.ratio ? fmtSpread(r.ratio.throughput) : '',
        fmtSpread(r.cpuSecondsPerGb, 3),
        r.ref ? fmtSpread(r.ref.cpuSecondsPerGb, 3) : '',
        r.ratio ? fmtSpread(r.ratio.cpuPerGb) : '',
        r.sendsPerSecond.median.toFixed(0),
        r.syscallsPerGb.runs ? r.syscallsPerGb.median.toFixed(0) : '',
        r.copiesPerByte.runs ? r.copiesPerByte.median.toFixed(2) : '',
      ]),
    ),
  );
  const targets = verdicts(rows, strace);
  console.log('\n' + table(['target', 'measured', 'met'], targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO'])));
  if (strace.length) {
    console.log('\n' + table(['strategy', 'calls', 'addon', 'strace', 'diff %'], strace.map((s) => [s.strategy, s.calls.join('+'), String(s.addon), String(s.strace), s.differencePercent.toFixed(2)])));
  }

  const out = args.out ?? join(root, 'reports', `transfer-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'transfer', command: process.argv.join(' '), environment: environment(), reps, bytesPerRun, rows, strace, targets }, null, 2));
  console.log(`\nwrote ${out}`);
}

interface Target {
  target: string;
  measured: string;
  met: boolean;
}

function verdicts(rows: Row[], strace: StraceCheck[]): Target[] {
  const at = (size: number, s: string): Row | undefined => rows.find((r) => r.size === size && r.sender === s);
  const out: Target[] = [];
  for (const r of rows.filter((r) => r.sender === 'sendfile' && r.size >= 1024 * 1024)) {
    const cpu = r.ratio!.cpuPerGb.median;
    const tp = r.ratio!.throughput.median;
    out.push({ target: `sendfile ${fmtBytes(r.size)}: CPU/GB ≤ 1.25× C`, measured: `${cpu.toFixed(2)}×`, met: cpu <= 1.25 });
    out.push({ target: `sendfile ${fmtBytes(r.size)}: throughput ≥ 0.9× C`, measured: `${tp.toFixed(2)}×`, met: tp >= 0.9 });
  }
  const small = at(16384, 'sendfile');
  if (small) {
    const best = Math.max(...STRATEGY_NAMES.map((s) => at(16384, s)!.sendsPerSecond.median));
    out.push({ target: 'sendfile 16 KiB: ≥ 80,000 sends/s', measured: `${small.sendsPerSecond.median.toFixed(0)} (best strategy ${best.toFixed(0)})`, met: small.sendsPerSecond.median >= 80_000 });
    const pool = at(16384, 'threadpool-sendfile');
    if (pool) {
      const x = small.sendsPerSecond.median / pool.sendsPerSecond.median;
      out.push({ target: 'design: inline+poll vs thread-pool hop, 16 KiB sends/s', measured: `${x.toFixed(2)}× faster inline`, met: x > 1 });
    }
  }
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const c = (s: StrategyName): number => at(size, s)!.cpuSecondsPerGb.median;
    const cRef = (s: StrategyName): number => at(size, s)!.ref!.cpuSecondsPerGb.median;
    const ordered = c('sendfile') < c('mmap') && c('mmap') < c('copy');
    // The C reference's order beside ours tells the kernel's part from the addon's.
    const refOrdered = cRef('sendfile') < cRef('mmap') && cRef('mmap') < cRef('copy');
    const list = (f: (s: StrategyName) => number): string => STRATEGY_NAMES.map((s) => f(s).toFixed(3)).join(' / ');
    out.push({
      target: `${fmtBytes(size)}: CPU/GB sendfile < mmap < copy`,
      measured: `addon ${list(c)}; C ${list(cRef)} (C ${refOrdered ? 'ordered' : 'not ordered either'})`,
      met: ordered,
    });
  }
  for (const s of strace) out.push({ target: `${s.strategy}: syscalls agree with strace within 2%`, measured: `${s.differencePercent.toFixed(2)}%`, met: s.differencePercent <= 2 });
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
