// bench/broker: a quick end-to-end figure per engine x transfer strategy
// through a live `mqlab serve` in its own process: produce records/s and
// MB/s (one connection, a window of pipelined requests, acks=1, flush none)
// and fetch GB/s (one consumer reading a partition from start to end), with
// the broker's CPU seconds per GB from /proc. Strategies are swapped on the
// live broker through IncrementalAlterConfigs and interleaved across reps.
//
//   node dist/bench/broker/run.js [--reps 3] [--mib 256] [--record-bytes 1024]
//     [--batch-records 16] [--window 64] [--fetch-mib 4] [--engines …] [--strategies …] [--out F]
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { packageRoot, STRATEGY_NAMES } from '../../src/native/addon.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';
import { fetchLoop } from '../../src/client/load/fetch-loop.js';
import { produceLoad } from '../../src/client/load/producer.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';
import { buildReference, runReference, Sink } from '../transfer/reference.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    mib: { type: 'string', default: '256' },
    'record-bytes': { type: 'string', default: '1024' },
    'batch-records': { type: 'string', default: '16' },
    window: { type: 'string', default: '64' },
    'fetch-mib': { type: 'string', default: '4' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    strategies: { type: 'string', default: STRATEGY_NAMES.join(',') },
    out: { type: 'string' },
  },
});
const reps = Number(args.reps);
const totalBytes = Number(args.mib) * 1024 * 1024;
const recordBytes = Number(args['record-bytes']);
const batchRecords = Number(args['batch-records']);
const window = Number(args.window);
const fetchBytes = Number(args['fetch-mib']) * 1024 * 1024;
const engines = args.engines!.split(',');
const strategies = args.strategies!.split(',');

interface Sample {
  engine: string;
  what: string;
  rate: number;
  mbPerSecond: number;
  cpuSecondsPerGB: number;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'broker');
  const samples: Sample[] = [];
  const bin = buildReference(root);
  const reference = { bin, sink: await Sink.start(bin) };
  const tty = process.stderr.isTTY;
  for (let rep = 0; rep < reps; rep++) {
    for (const engine of engines) {
      const dir = join(base, engine);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none']);
      const admin = await Admin.connect(`${broker.host}:${broker.port}`);
      try {
        if (tty) process.stderr.write(`\rrep ${rep + 1}/${reps} ${engine} produce`.padEnd(60));
        await admin.createTopic('bench', 1);
        const s0 = await broker.stats();
        const p = await produceLoad({
          host: broker.host,
          port: broker.port,
          topic: 'bench',
          partitions: [0],
          recordsPerBatch: batchRecords,
          valueBytes: recordBytes,
          acks: 1,
          window,
          targetRecordsPerSecond: 0,
          maxRecords: Math.ceil(totalBytes / recordBytes),
          maxMs: 600_000,
        });
        if (p.errors > 0) throw new Error(`produce failed: ${p.firstError}`);
        const s1 = await broker.stats();
        samples.push({ engine, what: 'produce', rate: p.ackedRecords / p.seconds, mbPerSecond: p.bytes / p.seconds / 1e6, cpuSecondsPerGB: cpuSecondsBetween(s0, s1) / (p.bytes / 1e9) });
        const end = (await admin.offsets('bench', [0], -1n)).get(0)!;
        const batchBytes = p.bytes / (p.sentRecords / batchRecords);
        // A different order each rep, so no strategy always reads a cold cache first.
        const order = strategies.map((_, i) => strategies[(i + rep) % strategies.length]!);
        for (const strategy of order) {
          if (tty) process.stderr.write(`\rrep ${rep + 1}/${reps} ${engine} fetch ${strategy}`.padEnd(60));
          await admin.alterConfigs({ 'transfer.strategy': strategy });
          const c0 = await broker.stats();
          const f = await fetchLoop(broker.host, broker.port, 'bench', end, batchRecords, batchBytes, fetchBytes);
          const c1 = await broker.stats();
          samples.push({ engine, what: `fetch ${strategy}`, rate: f.requests / f.seconds, mbPerSecond: f.bytes / f.seconds / 1e6, cpuSecondsPerGB: cpuSecondsBetween(c0, c1) / (f.bytes / 1e9) });
          if (strategy === 'sendfile' && engine === 'segmented') {
            // The kernel-only bar: the transfer benchmark's C sender, sendfile of
            // the same log file in the same request size to a discarding sink.
            const file = join(dir, 'log', 'bench-0', '00000000000000000000.log');
            const r = runReference(reference.bin, reference.sink.port, file, 'sendfile', fetchBytes, Math.max(1, Math.floor(statSync(file).size / fetchBytes)));
            samples.push({ engine: 'C reference', what: 'sendfile', rate: r.count / r.seconds, mbPerSecond: r.bytes / r.seconds / 1e6, cpuSecondsPerGB: (r.cpuUserSeconds + r.cpuSystemSeconds) / (r.bytes / 1e9) });
          }
        }
      } finally {
        admin.close();
        await broker.stop();
      }
    }
  }
  await reference.sink.stop();
  if (tty) process.stderr.write('\r'.padEnd(60) + '\r');
  rmSync(base, { recursive: true, force: true });

  const keys = [...new Set(samples.map((s) => `${s.engine}|${s.what}`))];
  const rows = keys.map((k) => {
    const [engine, what] = k.split('|') as [string, string];
    const ss = samples.filter((s) => s.engine === engine && s.what === what);
    return { engine, what, rate: spread(ss.map((s) => s.rate)), mbPerSecond: spread(ss.map((s) => s.mbPerSecond)), cpuSecondsPerGB: spread(ss.map((s) => s.cpuSecondsPerGB)) };
  });
  const batchKiB = ((recordBytes + 10) * batchRecords) / 1024;
  console.log(`Broker end to end: ${recordBytes} B records, ${batchRecords} per batch (~${batchKiB.toFixed(0)} KiB), produce ${window} requests in flight acks=1 flush=none, fetch ${args['fetch-mib']} MiB per request; ${reps} reps, median (min–max)\n`);
  console.log(
    table(
      ['engine', 'what', 'records/s or fetches/s', 'MB/s', 'broker CPU s/GB'],
      rows.map((r) => [r.engine, r.what, fmtSpread(r.rate, 0), fmtSpread(r.mbPerSecond, 0), fmtSpread(r.cpuSecondsPerGB)]),
    ),
  );
  const ratios = keys.flatMap((k) => {
    const [engine, what] = k.split('|') as [string, string];
    if (what !== 'fetch sendfile') return [];
    const ratio = spread(samples.filter((s) => s.engine === engine && s.what === what).map((s, i) => s.mbPerSecond / samples.filter((x) => x.engine === 'C reference')[i]!.mbPerSecond));
    return [{ target: `${engine} fetch with sendfile ≥ 0.85× the C sendfile reference`, measured: fmtSpread(ratio), met: ratio.median >= 0.85 }];
  });
  if (ratios.length) console.log('\n' + table(['target', 'measured', 'met'], ratios.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO'])));
  const out = args.out ?? join(root, 'reports', `broker-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'broker', command: process.argv.join(' '), environment: environment(), reps, totalBytes, recordBytes, batchRecords, window, fetchBytes, samples, rows, targets: ratios }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
