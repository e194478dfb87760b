// bench/broker: end-to-end figures per engine through a live `mqlab serve`
// in its own process. Produce (one connection, a window of pipelined
// requests, acks=1, flush none, batches of ~16 KiB) per record size, each run
// paired in the same rep with a raw positional write(2) loop of the same
// batch bytes and volume, which of the two goes first alternating; then
// fetch (one consumer reading the partition from start to end) per transfer
// strategy, swapped live through IncrementalAlterConfigs, against the C
// sendfile reference. The targets are ratios within a rep (targets.ts).
// With --profile, one more broker per engine and size runs the produce under
// --cpu-prof, and its busy time is broken down per request.
//
//   node dist/bench/broker/run.js [--reps 5] [--mib 256] [--record-bytes 1024,100]
//     [--batch-bytes 16384] [--batch-records N] [--window 64] [--fetch-mib 4]
//     [--fetch-passes 3]
//     [--engines …] [--strategies …] [--produce-only] [--profile]
//     [--profile-interval-us 250] [--quick] [--out F]
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { packageRoot, STRATEGY_NAMES } from '../../src/native/addon.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';
import { fetchLoop } from '../../src/client/load/fetch-loop.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';
import { buildReference, runReference, Sink } from '../transfer/reference.js';
import { batchesPerRun, produceRun, recordsPerBatch, sampleBatch, TOPIC, type ProduceSettings } from './produce-run.js';
import { formatProfile, profiledProduce, type ProfiledRun } from './profile-run.js';
import { rawWriteLoop } from './raw-write.js';
import { targets, type Sample } from './targets.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string' },
    mib: { type: 'string' },
    'record-bytes': { type: 'string', default: '1024,100' },
    'batch-bytes': { type: 'string', default: '16384' },
    'batch-records': { type: 'string' },
    window: { type: 'string', default: '64' },
    'fetch-mib': { type: 'string', default: '4' },
    'fetch-passes': { type: 'string' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    strategies: { type: 'string', default: STRATEGY_NAMES.join(',') },
    'produce-only': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-interval-us': { type: 'string', default: '250' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
// --quick: one rep of 128 MiB per engine and size; explicit --reps/--mib still win.
const reps = Number(args.reps ?? (args.quick ? 1 : 5));
const mib = Number(args.mib ?? (args.quick ? 128 : 256));
const totalBytes = mib * 1024 * 1024;
const sizes = args['record-bytes']!.split(',').map(Number);
const batchBytes = Number(args['batch-bytes']);
const window = Number(args.window);
const fetchBytes = Number(args['fetch-mib']) * 1024 * 1024;
// A pass reads the partition once (a fifth of a second at 1 GB/s): one pass
// per sample left the commit log ÷ segmented ratio anywhere in 0.58–0.98
// within one run (2026-12-04), so a sample is several passes back to back.
const fetchPasses = Number(args['fetch-passes'] ?? (args.quick ? 1 : 3));
const engines = args.engines!.split(',');
const strategies = args.strategies!.split(',');
const produceOnly = args['produce-only']!;
const intervalUs = Number(args['profile-interval-us']);

function settingsFor(recordBytes: number): ProduceSettings {
  const batchRecords = args['batch-records'] ? Number(args['batch-records']) : recordsPerBatch(recordBytes, batchBytes);
  return { recordBytes, batchRecords, window, totalBytes };
}

/** A different order each rep, so no run always goes first. */
function rotate<T>(xs: readonly T[], by: number): T[] {
  return xs.map((_, i) => xs[(i + by) % xs.length]!);
}

type Reference = { bin: string; sink: Sink } | null;

/**
 * One engine and record size in one rep: the produce and its raw write loop
 * (in the order given), then the fetches from the log just produced. Both
 * files are deleted together at the end, so the next pair's runs start alike.
 */
async function measurePair(base: string, rep: number, engine: string, recordBytes: number, rawFirst: boolean, reference: Reference, status: (s: string) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  const s = settingsFor(recordBytes);
  const dir = join(base, engine);
  const rawFile = join(base, `raw-${engine}-${recordBytes}`);
  const label = `rep ${rep + 1}/${reps} ${engine} ${recordBytes} B`;
  mkdirSync(dir, { recursive: true });
  const raw = (): void => {
    status(`${label} raw write`);
    const batches = batchesPerRun(s);
    const r = rawWriteLoop(rawFile, sampleBatch(s), batches, window);
    samples.push({ rep, engine, recordBytes, what: 'raw write', rate: batches / r.seconds, mbPerSecond: r.bytes / r.seconds / 1e6, cpuSecondsPerGB: r.cpuSeconds / (r.bytes / 1e9), first: rawFirst });
  };
  try {
    if (rawFirst) raw();
    const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none']);
    const admin = await Admin.connect(broker.bootstrap);
    try {
      status(`${label} produce`);
      await admin.createTopic(TOPIC, 1);
      const p = await produceRun(broker, s);
      const gb = p.load.bytes / 1e9;
      samples.push({
        rep,
        engine,
        recordBytes,
        what: 'produce',
        rate: p.load.ackedRecords / p.load.seconds,
        mbPerSecond: p.load.bytes / p.load.seconds / 1e6,
        cpuSecondsPerGB: p.brokerCpuSeconds / gb,
        loadCpuSecondsPerGB: p.loadCpuSeconds / gb,
        loadCores: p.loadCpuSeconds / p.load.seconds,
      });
      // The broker sits idle meanwhile; its log stays for the fetches.
      if (!rawFirst) raw();
      if (reference === null) return samples;
      const end = (await admin.offsets(TOPIC, [0], -1n)).get(0)!;
      const sentBatchBytes = p.load.bytes / p.requests;
      const fetchAll = () => fetchLoop(broker.host, broker.port, TOPIC, end, s.batchRecords, sentBatchBytes, fetchBytes);
      // Not measured: the broker's fetch path compiled before any strategy's
      // sample, so the strategy that comes first in a rep does not pay for it.
      status(`${label} fetch warm-up`);
      await fetchAll();
      for (const strategy of rotate(strategies, rep)) {
        status(`${label} fetch ${strategy}`);
        await admin.alterConfigs({ 'transfer.strategy': strategy });
        const c0 = await broker.stats();
        const f = { requests: 0, bytes: 0, seconds: 0 };
        for (let pass = 0; pass < fetchPasses; pass++) {
          const r = await fetchAll();
          f.requests += r.requests;
          f.bytes += r.bytes;
          f.seconds += r.seconds;
        }
        const c1 = await broker.stats();
        samples.push({ rep, engine, recordBytes, what: `fetch ${strategy}`, rate: f.requests / f.seconds, mbPerSecond: f.bytes / f.seconds / 1e6, cpuSecondsPerGB: cpuSecondsBetween(c0, c1) / (f.bytes / 1e9) });
        if (strategy === 'sendfile' && engine === 'segmented') {
          // The kernel-only bar: the transfer benchmark's C sender, sendfile of
          // the same log file in the same request size to a discarding sink.
          const file = join(dir, 'log', `${TOPIC}-0`, '00000000000000000000.log');
          const r = runReference(reference.bin, reference.sink.port, file, 'sendfile', fetchBytes, Math.max(1, Math.floor(statSync(file).size / fetchBytes)));
          samples.push({ rep, engine: 'C reference', recordBytes, what: 'sendfile', rate: r.count / r.seconds, mbPerSecond: r.bytes / r.seconds / 1e6, cpuSecondsPerGB: (r.cpuUserSeconds + r.cpuSystemSeconds) / (r.bytes / 1e9) });
        }
      }
      return samples;
    } finally {
      admin.close();
      await broker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(rawFile, { force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'broker');
  rmSync(base, { recursive: true, force: true });
  const samples: Sample[] = [];
  let reference: Reference = null;
  if (!produceOnly) {
    const bin = buildReference(root);
    reference = { bin, sink: await Sink.start(bin) };
  }
  const tty = process.stderr.isTTY;
  const status = (s: string): void => {
    if (tty) process.stderr.write(`\r${s}`.padEnd(70));
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const [sizeIndex, recordBytes] of sizes.entries()) {
      for (const engine of rotate(engines, rep)) {
        // Each engine and size alternates from rep to rep, and the two engines of a size within one.
        const rawFirst = (rep + engines.indexOf(engine) + sizeIndex) % 2 === 0;
        samples.push(...(await measurePair(base, rep, engine, recordBytes, rawFirst, reference, status)));
      }
    }
  }
  await reference?.sink.stop();

  const profiles: ProfiledRun[] = [];
  if (args.profile) {
    for (const recordBytes of sizes) {
      for (const engine of engines) {
        status(`profile ${engine} ${recordBytes} B produce`);
        const dir = join(base, `profile-${engine}`);
        try {
          profiles.push(await profiledProduce(dir, engine, settingsFor(recordBytes), intervalUs));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  if (tty) process.stderr.write('\r'.padEnd(70) + '\r');
  rmSync(base, { recursive: true, force: true });
  report(samples, profiles, root, (performance.now() - started) / 1000);
}

function report(samples: Sample[], profiles: ProfiledRun[], root: string, seconds: number): void {
  const batchesOf = sizes.map((b) => `${b} B × ${settingsFor(b).batchRecords} = ${sampleBatch(settingsFor(b)).length} B`).join(', ');
  console.log(
    `Broker end to end: batches of ${batchesOf}; produce ${window} requests in flight, acks=1, flush=none, ${mib} MiB per run, each paired with a raw write(2) loop of the same batches in the same rep` +
      (produceOnly ? '' : `; fetch ${args['fetch-mib']} MiB per request, the partition ${fetchPasses}× per sample after an unmeasured pass`) +
      `; ${reps} rep${reps === 1 ? '' : 's'}, median (min–max)\n`,
  );
  const keys = [...new Set(samples.map((s) => `${s.recordBytes}|${s.engine}|${s.what}`))];
  const rows = keys.map((k) => {
    const [recordBytes, engine, what] = k.split('|') as [string, string, string];
    const ss = samples.filter((s) => s.recordBytes === Number(recordBytes) && s.engine === engine && s.what === what);
    const load = ss.filter((s) => s.loadCpuSecondsPerGB !== undefined);
    return {
      recordBytes: Number(recordBytes),
      engine,
      what,
      rate: spread(ss.map((s) => s.rate)),
      mbPerSecond: spread(ss.map((s) => s.mbPerSecond)),
      cpuSecondsPerGB: spread(ss.map((s) => s.cpuSecondsPerGB)),
      loadCpuSecondsPerGB: spread(load.map((s) => s.loadCpuSecondsPerGB!)),
      loadCores: spread(load.map((s) => s.loadCores!)),
    };
  });
  console.log(
    table(
      ['record', 'engine', 'what', 'records/s, writes/s or fetches/s', 'MB/s', 'CPU s/GB', 'load gen CPU s/GB', 'load gen cores'],
      rows.map((r) => [`${r.recordBytes} B`, r.engine, r.what, fmtSpread(r.rate, 0), fmtSpread(r.mbPerSecond, 0), fmtSpread(r.cpuSecondsPerGB), fmtSpread(r.loadCpuSecondsPerGB), fmtSpread(r.loadCores)]),
    ),
  );
  console.log('CPU s/GB: the broker\'s for produce and fetch, the loop\'s own for raw write (the kernel\'s cost of the bytes), the C sender\'s for the reference.');

  // Per rep, the pairs the produce targets divide, so a slow minute shows as one.
  const pairs = samples.filter((s) => s.what === 'raw write').map((raw) => {
    const p = samples.find((s) => s.rep === raw.rep && s.engine === raw.engine && s.recordBytes === raw.recordBytes && s.what === 'produce')!;
    return [String(raw.rep + 1), `${raw.recordBytes} B`, raw.engine, raw.first ? 'raw' : 'produce', raw.mbPerSecond.toFixed(0), p.mbPerSecond.toFixed(0), (p.mbPerSecond / raw.mbPerSecond).toFixed(2), (p.rate / 1e6).toFixed(2), p.cpuSecondsPerGB.toFixed(2), p.loadCpuSecondsPerGB!.toFixed(2)];
  });
  console.log('\n' + table(['rep', 'record', 'engine', 'first', 'raw MB/s', 'produce MB/s', 'ratio', 'M records/s', 'broker CPU s/GB', 'load gen CPU s/GB'], pairs));

  const verdicts = targets(samples, engines, sizes, reps);
  console.log('\n' + table(['target', 'measured: median (min–max) over reps', 'met'], verdicts.map((t) => [t.target, t.measured, t.met])));

  if (profiles.length) {
    console.log(
      '\nWhere the broker\'s main thread spends a produce request: a separate profiled run per engine and size, after the measured ones; samples within the produce phase only, idle excluded; ' +
        'each sample goes to the innermost frame naming a category; µs are the main thread\'s CPU time (schedstat) split by the samples\' shares, so time spent waiting for a CPU is left out.',
    );
    for (const p of profiles) console.log('\n' + formatProfile(p));
  }
  const out = args.out ?? join(root, 'reports', `broker-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'broker',
        command: process.argv.join(' '),
        seconds,
        environment: environment(),
        reps,
        totalBytes,
        settings: sizes.map(settingsFor),
        batchBytes,
        window,
        fetchBytes: produceOnly ? null : fetchBytes,
        fetchPasses: produceOnly ? null : fetchPasses,
        samples,
        rows,
        targets: verdicts,
        profiles,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${out} (${seconds.toFixed(0)} s in all)`);
}

await main();
