// bench/kafka-versions: produce and fetch through a live `mqlab serve` at
// the newest versions Kafka 4.3 defines (Produce v13, Fetch v18: flexible,
// topics by id) against the last ones before flexible versions (Produce v7,
// Fetch v11), per engine, in one run. The versions differ only
// in framing (compact lengths, tagged-field sections, a UUID for a name), so
// the target is the same throughput and broker CPU within 5%. Each rep runs
// the two versions in alternating order, so neither always goes first.
//
//   node dist/bench/kafka-versions/run.js [--reps 3] [--mib 128] [--record-bytes 1024]
//     [--batch-records 16] [--window 64] [--fetch-mib 4] [--fetch-passes 4] [--engines …] [--out F]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { KafkaConnection } from '../../src/client/connection.js';
import { fetchLoop } from '../../src/client/load/fetch-loop.js';
import { produceLoad } from '../../src/client/load/producer.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { packageRoot } from '../../src/native/addon.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    mib: { type: 'string', default: '128' },
    'record-bytes': { type: 'string', default: '1024' },
    'batch-records': { type: 'string', default: '16' },
    window: { type: 'string', default: '64' },
    'fetch-mib': { type: 'string', default: '4' },
    'fetch-passes': { type: 'string', default: '4' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    out: { type: 'string' },
  },
});
const reps = Number(args.reps);
const totalBytes = Number(args.mib) * 1024 * 1024;
const recordBytes = Number(args['record-bytes']);
const batchRecords = Number(args['batch-records']);
const window = Number(args.window);
const fetchBytes = Number(args['fetch-mib']) * 1024 * 1024;
const fetchPasses = Number(args['fetch-passes']);
const engines = args.engines!.split(',');

/** Old and new version of each API, in that order. */
const PRODUCE = [7, 13] as const;
const FETCH = [11, 18] as const;

interface Sample {
  engine: string;
  api: 'produce' | 'fetch';
  version: number;
  mbPerSecond: number;
  cpuSecondsPerGB: number;
}

async function topicId(host: string, port: number, topic: string): Promise<string> {
  const conn = await KafkaConnection.open(host, port, 'mqlab-bench');
  try {
    const r = await conn.request(3, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return r.topics[0]!.topicId;
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'kafka-versions');
  const samples: Sample[] = [];
  const tty = process.stderr.isTTY;
  const progress = (s: string): void => {
    if (tty) process.stderr.write(`\r${s}`.padEnd(70));
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const engine of engines) {
      const dir = join(base, engine);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none']);
      const admin = await Admin.connect(`${broker.host}:${broker.port}`);
      try {
        const order = <T>(pair: readonly [T, T]): T[] => (rep % 2 === 0 ? [...pair] : [pair[1], pair[0]]);
        let fetched: { topic: string; end: bigint; batchBytes: number } | null = null;
        for (const version of order(PRODUCE)) {
          progress(`rep ${rep + 1}/${reps} ${engine} produce v${version}`);
          const topic = `produce-v${version}`;
          await admin.createTopic(topic, 1);
          const id = await topicId(broker.host, broker.port, topic);
          const s0 = await broker.stats();
          const p = await produceLoad({ host: broker.host, port: broker.port, topic, topicId: id, partitions: [0], recordsPerBatch: batchRecords, valueBytes: recordBytes, acks: 1, window, targetRecordsPerSecond: 0, maxRecords: Math.ceil(totalBytes / recordBytes), maxMs: 600_000, apiVersion: version });
          if (p.errors > 0) throw new Error(`produce v${version} failed: ${p.firstError}`);
          const s1 = await broker.stats();
          samples.push({ engine, api: 'produce', version, mbPerSecond: p.bytes / p.seconds / 1e6, cpuSecondsPerGB: cpuSecondsBetween(s0, s1) / (p.bytes / 1e9) });
          fetched ??= { topic, end: (await admin.offsets(topic, [0], -1n)).get(0)!, batchBytes: p.bytes / (p.sentRecords / batchRecords) };
        }
        const id = await topicId(broker.host, broker.port, fetched!.topic);
        // A fetch costs the broker a few clock ticks of CPU per pass: the
        // versions take turns over several passes (ABBA…), each version's
        // passes summed, so that ticks, page cache and neighbours average out.
        const sums = new Map(FETCH.map((v) => [v, { bytes: 0, seconds: 0, cpu: 0 }]));
        for (let pass = 0; pass < fetchPasses; pass++) {
          const versions = order(FETCH);
          for (const version of pass % 2 === 0 ? versions : versions.reverse()) {
            progress(`rep ${rep + 1}/${reps} ${engine} fetch v${version} pass ${pass + 1}/${fetchPasses}`);
            const c0 = await broker.stats();
            const f = await fetchLoop(broker.host, broker.port, fetched!.topic, fetched!.end, batchRecords, fetched!.batchBytes, fetchBytes, { apiVersion: version, topicId: id });
            const c1 = await broker.stats();
            const sum = sums.get(version)!;
            sum.bytes += f.bytes;
            sum.seconds += f.seconds;
            sum.cpu += cpuSecondsBetween(c0, c1);
          }
        }
        for (const [version, sum] of sums) {
          samples.push({ engine, api: 'fetch', version, mbPerSecond: sum.bytes / sum.seconds / 1e6, cpuSecondsPerGB: sum.cpu / (sum.bytes / 1e9) });
        }
      } finally {
        admin.close();
        await broker.stop();
      }
    }
  }
  progress('');
  if (tty) process.stderr.write('\r');
  rmSync(base, { recursive: true, force: true });

  const of = (engine: string, api: Sample['api'], version: number): Sample[] => samples.filter((s) => s.engine === engine && s.api === api && s.version === version);
  const rows = engines.flatMap((engine) =>
    (['produce', 'fetch'] as const).flatMap((api) =>
      (api === 'produce' ? PRODUCE : FETCH).map((version) => {
        const ss = of(engine, api, version);
        return { engine, api, version, mbPerSecond: spread(ss.map((s) => s.mbPerSecond)), cpuSecondsPerGB: spread(ss.map((s) => s.cpuSecondsPerGB)) };
      }),
    ),
  );
  console.log(`Kafka versions, newest against pre-flexible: ${recordBytes} B records, ${batchRecords} per batch, produce ${window} in flight acks=1 flush=none, fetch ${args['fetch-mib']} MiB per request; ${reps} reps, median (min–max)\n`);
  console.log(table(['engine', 'api', 'version', 'MB/s', 'broker CPU s/GB'], rows.map((r) => [r.engine, r.api, `v${r.version}`, fmtSpread(r.mbPerSecond, 0), fmtSpread(r.cpuSecondsPerGB)])));
  // Ratios rep by rep (the two versions ran minutes apart at most), new over old.
  const targets = engines.flatMap((engine) =>
    (['produce', 'fetch'] as const).map((api) => {
      const [old, neu] = api === 'produce' ? PRODUCE : FETCH;
      const o = of(engine, api, old);
      const n = of(engine, api, neu);
      const mb = spread(n.map((s, i) => s.mbPerSecond / o[i]!.mbPerSecond));
      const cpu = spread(n.map((s, i) => s.cpuSecondsPerGB / o[i]!.cpuSecondsPerGB));
      return { target: `${engine} ${api} v${neu} within 5% of v${old}`, throughput: fmtSpread(mb), cpu: fmtSpread(cpu), met: mb.median >= 0.95 && cpu.median <= 1.05 };
    }),
  );
  console.log('\n' + table(['target', 'MB/s new ÷ old', 'CPU/GB new ÷ old', 'met'], targets.map((t) => [t.target, t.throughput, t.cpu, t.met ? 'yes' : 'NO'])));
  const out = args.out ?? join(root, 'reports', `kafka-versions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'kafka-versions', command: process.argv.join(' '), environment: environment(), reps, totalBytes, recordBytes, batchRecords, window, fetchBytes, samples, rows, targets }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
