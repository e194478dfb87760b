// bench/workers: one node against several (mqlab.workers) on the same
// machine, in the same rep. A topic of one partition per node is produced to
// at once, one connection per partition straight to its leader (a window of
// pipelined requests each, acks=1, flush none, ~16 KiB batches), so with N
// workers each node's event loop takes one connection, and with one the
// single event loop takes them all. Beside the broker's CPU (every thread of
// its process) goes the load generator's: both share this machine's cores,
// and a load generator that needs a core of its own caps what more broker
// threads can show. Each rep also runs a raw write(2) loop of the same
// batches and volume, the bar the produce ratio is read against.
//
//   node dist/bench/workers/run.js (mqlab bench workers) [--reps 3] [--mib 1024] [--record-bytes 1024]
//     [--workers 1,2] [--engines segmented,commitlog] [--window 64] [--quick] [--out F]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { produceLoad, type ProducerLoadResult } from '../../src/client/load/producer.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { packageRoot } from '../../src/native/addon.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';
import { batchesPerRun, recordsPerBatch, sampleBatch, type ProduceSettings } from '../broker/produce-run.js';
import { rawWriteLoop } from '../broker/raw-write.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string' },
    mib: { type: 'string' },
    'record-bytes': { type: 'string', default: '1024' },
    'batch-bytes': { type: 'string', default: '16384' },
    workers: { type: 'string', default: '1,2' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    window: { type: 'string', default: '64' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const reps = Number(args.reps ?? (args.quick ? 1 : 3));
const mib = Number(args.mib ?? (args.quick ? 64 : 1024));
const recordBytes = Number(args['record-bytes']);
const window = Number(args.window);
const counts = args.workers!.split(',').map(Number);
const engines = args.engines!.split(',');
const partitions = Math.max(...counts);
const TOPIC = 'bench-workers';
const WARMUP_BYTES = 16 * 1024 * 1024;
for (const n of counts) if (!Number.isInteger(n) || n < 1) throw new Error(`--workers: counts of 1 or more, got ${args.workers}`);
const settings: ProduceSettings = { recordBytes, batchRecords: recordsPerBatch(recordBytes, Number(args['batch-bytes'])), window, totalBytes: mib * 1024 * 1024 };

interface Sample {
  rep: number;
  engine: string;
  workers: number;
  /** Distinct nodes leading the topic's partitions: the worker count, if the leaders went round them all. */
  leaderNodes: number;
  bytes: number;
  mbPerSecond: number;
  recordsPerSecond: number;
  brokerCpuSecondsPerGB: number;
  brokerCores: number;
  loadCpuSecondsPerGB: number;
  loadCores: number;
  rawMbPerSecond: number;
}

/** Every partition at once, each over its own connection to its leader, `bytes` in all. */
async function produceAll(leaders: Map<number, { nodeId: number; host: string; port: number }>, bytes: number): Promise<{ loads: ProducerLoadResult[]; seconds: number }> {
  const t0 = performance.now();
  const loads = await Promise.all(
    [...leaders].map(([partition, at]) =>
      produceLoad({
        host: at.host,
        port: at.port,
        topic: TOPIC,
        partitions: [partition],
        recordsPerBatch: settings.batchRecords,
        valueBytes: recordBytes,
        acks: 1,
        window,
        targetRecordsPerSecond: 0,
        maxRecords: Math.ceil(bytes / leaders.size / recordBytes),
        maxMs: 600_000,
      }),
    ),
  );
  const failed = loads.find((l) => l.errors > 0);
  if (failed) throw new Error(`produce failed: ${failed.firstError}`);
  return { loads, seconds: (performance.now() - t0) / 1000 };
}

async function measure(base: string, rep: number, engine: string, workers: number, rawMbPerSecond: number): Promise<Sample> {
  const dir = join(base, `${engine}-${workers}`);
  const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none', '--workers', String(workers)]);
  const admin = await Admin.connect(broker.bootstrap);
  try {
    await admin.createTopic(TOPIC, partitions);
    const leaders = await admin.leaders(TOPIC);
    await produceAll(leaders, WARMUP_BYTES);
    const s0 = await broker.stats();
    const c0 = process.cpuUsage();
    const { loads, seconds } = await produceAll(leaders, settings.totalBytes);
    const c = process.cpuUsage(c0);
    const s1 = await broker.stats();
    const bytes = loads.reduce((n, l) => n + l.bytes, 0);
    const records = loads.reduce((n, l) => n + l.ackedRecords, 0);
    const brokerCpu = cpuSecondsBetween(s0, s1);
    const loadCpu = (c.user + c.system) / 1e6;
    return {
      rep,
      engine,
      workers,
      leaderNodes: new Set([...leaders.values()].map((n) => n.nodeId)).size,
      bytes,
      mbPerSecond: bytes / seconds / 1e6,
      recordsPerSecond: records / seconds,
      brokerCpuSecondsPerGB: brokerCpu / (bytes / 1e9),
      brokerCores: brokerCpu / seconds,
      loadCpuSecondsPerGB: loadCpu / (bytes / 1e9),
      loadCores: loadCpu / seconds,
      rawMbPerSecond,
    };
  } finally {
    admin.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'broker-workers');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const engine of engines) {
      const rawFile = join(base, `raw-${rep}-${engine}`);
      const raw = rawWriteLoop(rawFile, sampleBatch(settings), batchesPerRun(settings), window);
      rmSync(rawFile, { force: true });
      const rawMbPerSecond = raw.bytes / raw.seconds / 1e6;
      // Which count goes first turns each rep, so none always has the quieter minute.
      const order = counts.map((_, i) => counts[(i + rep) % counts.length]!);
      for (const workers of order) {
        process.stderr.write(`rep ${rep + 1}/${reps} ${engine} ${workers} worker${workers === 1 ? '' : 's'}\n`);
        samples.push(await measure(base, rep, engine, workers, rawMbPerSecond));
      }
    }
  }
  rmSync(base, { recursive: true, force: true });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Produce to a topic of ${partitions} partitions, one connection per partition to its leader, ${window} requests in flight each, acks=1, flush=none, ` +
      `${recordBytes} B records in batches of ${settings.batchRecords} (${sampleBatch(settings).length} B), ${mib} MiB per run; ${reps} rep${reps === 1 ? '' : 's'}, median (min–max); ` +
      `the machine has ${environment().cores} cores, shared by the broker and this load generator\n`,
  );
  const rows = engines.flatMap((engine) =>
    counts.map((workers) => {
      const ss = samples.filter((s) => s.engine === engine && s.workers === workers);
      const f = (pick: (s: Sample) => number, digits = 2): string => fmtSpread(spread(ss.map(pick)), digits);
      return [engine, String(workers), f((s) => s.mbPerSecond, 0), f((s) => s.recordsPerSecond / 1e6), f((s) => s.mbPerSecond / s.rawMbPerSecond), f((s) => s.brokerCpuSecondsPerGB), f((s) => s.brokerCores), f((s) => s.loadCpuSecondsPerGB), f((s) => s.loadCores)];
    }),
  );
  console.log(table(['engine', 'workers', 'produce MB/s', 'M records/s', '÷ raw write', 'broker CPU s/GB', 'broker cores', 'load gen CPU s/GB', 'load gen cores'], rows));
  const perRep = engines.flatMap((engine) =>
    [...Array(reps).keys()].map((rep) => {
      const of = (n: number): Sample | undefined => samples.find((s) => s.rep === rep && s.engine === engine && s.workers === n);
      const one = of(counts[0]!)!;
      return [String(rep + 1), engine, one.rawMbPerSecond.toFixed(0), ...counts.map((n) => of(n)!.mbPerSecond.toFixed(0)), ...counts.slice(1).map((n) => (of(n)!.mbPerSecond / one.mbPerSecond).toFixed(2))];
    }),
  );
  console.log('\n' + table(['rep', 'engine', 'raw MB/s', ...counts.map((n) => `${n} worker${n === 1 ? '' : 's'} MB/s`), ...counts.slice(1).map((n) => `${n} ÷ ${counts[0]}`)], perRep));
  const out = args.out ?? join(root, 'reports', `broker-workers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'broker-workers', command: process.argv.join(' '), seconds, environment: environment(), reps, settings, partitions, counts, engines, samples }, null, 2));
  console.log(`\nwrote ${out} (${seconds.toFixed(0)} s in all)`);
}

await main();
