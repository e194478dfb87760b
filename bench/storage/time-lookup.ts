// bench/storage/time-lookup: the cost of offsetForTime (ListOffsets by
// time) on one partition of each engine. Fills a partition with batches of
// `--records` records whose timestamps rise by 1 ms per record, then looks
// up random record timestamps (so most fall inside a batch) and checks each
// answer against the record that should come back; then again after a
// clean restart and after one that recovered (no clean-shutdown marker).
//
//   node dist/bench/storage/time-lookup.js [--mib 64] [--records 1000,148]
//     [--value-bytes 40,100] [--lookups 20000] [--engines segmented,commitlog] [--seed N]
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/native/addon.js';
import { encodeBatch, writeBatchCrc, BASE_TIMESTAMP_AT, MAX_TIMESTAMP_AT } from '../../src/records/index.js';
import { createEngine, ENGINE_KINDS, type StorageEngine, type TopicPartition } from '../../src/storage/index.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    records: { type: 'string', default: '1000,148' },
    'value-bytes': { type: 'string', default: '40,100' },
    lookups: { type: 'string', default: '20000' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
  },
});
const T0 = 1_700_000_000_000;
const tp: TopicPartition = { topic: 'times', partition: 0 };
const seed = Number(args.seed);

/** Park–Miller, so a run can be repeated from its printed seed. */
function random(s: number): () => number {
  let x = s % 2147483647 || 1;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

/** A batch template of `records` records, 1 ms apart; its timestamps are set per copy. */
function template(records: number, valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  return encodeBatch({ baseTimestamp: 0n, records: Array.from({ length: records }, (_, i) => ({ key: null, value, timestamp: BigInt(i) })) });
}

async function fill(engine: StorageEngine, batch: Buffer, records: number, bytes: number): Promise<number> {
  const n = Math.ceil(bytes / batch.length);
  for (let i = 0; i < n; i++) {
    const b = Buffer.from(batch);
    b.writeBigInt64BE(BigInt(T0 + i * records), BASE_TIMESTAMP_AT);
    b.writeBigInt64BE(BigInt(T0 + i * records + records - 1), MAX_TIMESTAMP_AT);
    writeBatchCrc(b, 0);
    await engine.append(tp, b, { awaitFlush: false });
  }
  return n * records;
}

/** The answer's offset, from either interface (a bigint before record-level answers, an object after). */
function offsetOf(answer: unknown): number {
  if (answer === null) return -1;
  if (typeof answer === 'bigint') return Number(answer);
  return Number((answer as { offset: bigint }).offset);
}

function delta(after: Record<string, number>, before: Record<string, number>, lookups: number): string {
  const keys = Object.keys(after).filter((k) => /Reads|Probes/.test(k) && after[k] !== before[k]);
  return keys.map((k) => `${k} ${((after[k]! - (before[k] ?? 0)) / lookups).toFixed(2)}`).join(', ') || '-';
}

async function main(): Promise<void> {
  const dir = join(packageRoot(), 'data', 'bench', 'time-lookup');
  const lookups = Number(args.lookups);
  const rows: string[][] = [];
  console.error(`seed ${seed}`);
  const shapes = args.records!.split(',').map(Number);
  const valueBytes = args['value-bytes']!.split(',').map(Number);
  for (const kind of args.engines!.split(',')) {
    for (const [i, records] of shapes.entries()) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const batch = template(records, valueBytes[i] ?? valueBytes[0]!);
      let engine = createEngine(kind, { dir, flush: { kind: 'none' } });
      await engine.open();
      engine.createPartition(tp);
      const total = await fill(engine, batch, records, Number(args.mib) * 1024 * 1024);
      const rnd = random(seed);
      const targets = Array.from({ length: lookups }, () => Math.floor(rnd() * total));
      const run = (label: string, count: number): void => {
        const before = engine.stats();
        let exact = 0;
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        for (let k = 0; k < count; k++) if (offsetOf(engine.offsetForTime(tp, BigInt(T0 + targets[k]!))) === targets[k]) exact++;
        const us = Number(process.hrtime.bigint() - t0) / 1e3 / count;
        const cpu = process.cpuUsage(cpu0);
        rows.push([kind, `${records} × ${batch.length} B`, label, us.toFixed(2), ((cpu.user + cpu.system) / count).toFixed(2), `${((100 * exact) / count).toFixed(1)}%`, delta(engine.stats(), before, count)]);
      };
      const reopen = async (clean: boolean): Promise<void> => {
        await engine.close();
        if (!clean) rmSync(join(dir, '.clean-shutdown')); // as after a crash: recovery, derived state rebuilt
        engine = createEngine(kind, { dir, flush: { kind: 'none' } });
        await engine.open();
      };
      run('random', lookups);
      await reopen(true);
      run('first after clean restart', 1);
      run('after restart', lookups);
      await reopen(false);
      run('first after crash restart', 1);
      await engine.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(table(['engine', 'batches of', 'lookups', 'µs per lookup', 'CPU µs', 'exact record', 'reads per lookup'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
