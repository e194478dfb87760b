// What the file leases of a fetch cost. Every region a read hands out holds
// its file open until sent (src/transfer/shared-file.ts); the question is
// whether that shows in fetch throughput. End to end (bench/broker against
// the tree before leases) the machine's noise is far wider than 2%, so this
// measures the parts in one run: the hold and release of one region, the
// regions of a 4 MiB read on each engine, and the time to send 4 MiB through
// the addon's sendfile to a sink. The leases' share of a fetch is their cost
// over that send's time (the fastest part of a fetch, so an upper bound).
//
//   node dist/bench/broker/lease-cost.js [--mib 64] [--reads 2000] [--out F]
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/native/addon.js';
import { encodeBatch } from '../../src/records/index.js';
import { createEngine, ENGINE_KINDS } from '../../src/storage/index.js';
import { holdRegion, releaseRegions, SharedFile } from '../../src/transfer/shared-file.js';
import type { FileRegion } from '../../src/transfer/types.js';
import { runAddon } from '../transfer/addon-runner.js';
import { buildReference, Sink } from '../transfer/reference.js';
import { environment } from '../lib/environment.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    reads: { type: 'string', default: '2000' },
    out: { type: 'string' },
  },
});
const FETCH_BYTES = 4 * 1024 * 1024;
const tp = { topic: 'lease', partition: 0 };

function nsPerRegion(): number {
  const file = new SharedFile(openSync(process.argv[1]!, 'r'), 'bench');
  const regions: FileRegion[] = Array.from({ length: 256 }, (_, i) => ({ file, position: i, length: 1 }));
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) {
      for (const r of regions) holdRegion(r);
      releaseRegions(regions);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / (20_000 * regions.length));
  }
  file.close();
  return best;
}

async function regionsPerRead(kind: string, dir: string): Promise<{ regions: number; readUs: number }> {
  const engine = createEngine(kind, { dir, flush: { kind: 'none' } });
  await engine.open();
  engine.createPartition(tp);
  const value = Buffer.alloc(1024, 0x61);
  const batch = encodeBatch({ baseTimestamp: 0n, records: Array.from({ length: 16 }, () => ({ key: null, value })) });
  const batches = Math.ceil((Number(args.mib) * 1024 * 1024) / batch.length);
  for (let i = 0; i < batches; i++) await engine.append(tp, Buffer.from(batch), { awaitFlush: false });
  const hw = engine.highWatermark(tp);
  let offset = 0n;
  let regions = 0;
  const reads = Number(args.reads);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) {
    const r = engine.read(tp, offset, FETCH_BYTES);
    regions += r.regions.length;
    releaseRegions(r.regions);
    offset += BigInt(Math.max(1, Math.floor(r.bytes / batch.length)) * 16);
    if (offset >= hw) offset = 0n;
  }
  const readUs = Number(process.hrtime.bigint() - t0) / 1e3 / reads;
  await engine.close();
  return { regions: regions / reads, readUs };
}

async function sendUs(dir: string): Promise<number> {
  const path = join(dir, 'send.bin');
  writeFileSync(path, Buffer.alloc(FETCH_BYTES, 0x62));
  const file = new SharedFile(openSync(path, 'r'), path);
  const sink = await Sink.start(buildReference(packageRoot()));
  try {
    await runAddon(sink.port, file, Buffer.alloc(0), 'sendfile', FETCH_BYTES, 20); // warm-up
    const r = await runAddon(sink.port, file, Buffer.alloc(0), 'sendfile', FETCH_BYTES, 200);
    return (r.seconds * 1e6) / r.count;
  } finally {
    await sink.stop();
    file.close();
  }
}

async function main(): Promise<void> {
  const root = join(packageRoot(), 'data', 'bench', 'lease-cost');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const ns = nsPerRegion();
  const send = await sendUs(root);
  const rows = [];
  for (const kind of ENGINE_KINDS) {
    const dir = join(root, kind);
    mkdirSync(dir, { recursive: true });
    const r = await regionsPerRead(kind, dir);
    const leaseUs = (r.regions * ns) / 1000;
    rows.push({ engine: kind, regionsPerRead: r.regions, readUs: r.readUs, leaseUs, sendUs: send, share: leaseUs / send });
  }
  rmSync(root, { recursive: true, force: true });
  console.log(`Leases per 4 MiB fetch: hold + release of one region ${ns.toFixed(1)} ns; sendfile of 4 MiB to a sink ${send.toFixed(0)} µs\n`);
  console.log(table(
    ['engine', 'regions per 4 MiB read', 'read µs (leases given back)', 'leases µs', 'share of the send'],
    rows.map((r) => [r.engine, r.regionsPerRead.toFixed(0), r.readUs.toFixed(1), r.leaseUs.toFixed(2), `${(100 * r.share).toFixed(3)}%`]),
  ));
  const worst = Math.max(...rows.map((r) => r.share));
  console.log(`\ntarget: leases within 2% of a fetch; measured at most ${(100 * worst).toFixed(3)}% — ${worst <= 0.02 ? 'met' : 'NOT met'}`);
  const out = args.out ?? join(packageRoot(), 'reports', `lease-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'lease-cost', command: process.argv.join(' '), environment: environment(), nsPerRegion: ns, sendUs: send, rows }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
