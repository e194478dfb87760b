// Damage that only a machine crash leaves, found by the power-loss
// simulation (storage-powerloss.test.ts) and pinned down here one case at a
// time: files the engines never sync (indexes, consume queues) or had not
// synced yet (older segments under flush=none) come back short, zeroed or
// torn, and recovery must not serve from them.
import { appendFileSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitLogEngine } from '../src/storage/commitlog/engine.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import type { StorageEngine, TopicPartition } from '../src/storage/types.js';
import { batchOf } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { offsetOf, releaseLeases } from './helpers/powerloss/api-shapes.js';
import { batchesIn, readAllBatches, readRegions } from './helpers/regions.js';

const tp: TopicPartition = { topic: 'p', partition: 0 };
const T0 = 1_700_000_000_000;

/** Batch i: 4 records of about 250 bytes, timestamps growing with i. */
function batch(i: number): Buffer {
  return batchOf(Array.from({ length: 4 }, (_, k) => ({ value: `${i}-${k}-${'x'.repeat(240)}` })), T0 + i);
}

describe('power-loss damage, segmented engine', () => {
  let tmp: ReturnType<typeof tempDir>;
  const open: StorageEngine[] = [];
  const messages: string[] = [];
  const engine = async (): Promise<SegmentedEngine> => {
    const e = new SegmentedEngine({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 16 * 1024, log: (m) => messages.push(m) });
    await e.open();
    open.push(e);
    return e;
  };
  /** 40 batches of ~1 KiB: three segments, each older one with index entries. */
  const fill = async (e: StorageEngine): Promise<void> => {
    e.createPartition(tp);
    for (let i = 0; i < 40; i++) await e.append(tp, batch(i));
  };
  const segment = (n: number, ext: string): string => {
    const names = readdirSync(join(tmp.dir, 'p-0')).filter((f) => f.endsWith('.log')).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    return join(tmp.dir, 'p-0', names[n]!.replace('.log', ext));
  };
  /** Every offset reads from the batch holding it; the batches run on from 0 to the high watermark. */
  const expectConsistent = (e: StorageEngine): void => {
    const batches = readAllBatches(e, tp);
    expect(batches.every((b) => b.crcOk)).toBe(true);
    batches.forEach((b, i) => expect(b.baseOffset).toBe(i === 0 ? 0 : batches[i - 1]!.lastOffset + 1));
    expect(BigInt(batches.at(-1)!.lastOffset + 1)).toBe(e.highWatermark(tp));
    for (const b of batches) {
      for (let o = b.baseOffset; o <= b.lastOffset; o++) {
        expect(firstBase(e, o)).toBe(b.baseOffset);
      }
      expect(offsetOf(e.offsetForTime(tp, BigInt(T0 + b.baseOffset / 4)))).toBe(b.baseOffset);
    }
  };

  beforeEach(() => {
    tmp = tempDir();
    messages.length = 0;
  });
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('rebuilds an older segment index that ends in zeros, even after a clean shutdown', async () => {
    const e0 = await engine();
    await fill(e0);
    await e0.close();
    open.length = 0;
    // Index entries are written at a roll or a close and never synced: a
    // power cut can leave zeros where the last ones were going.
    appendFileSync(segment(0, '.index'), Buffer.alloc(16));
    appendFileSync(segment(0, '.timeindex'), Buffer.alloc(12));
    const e = await engine();
    expect(e.highWatermark(tp)).toBe(160n);
    expectConsistent(e);
    expect(messages.join('\n')).toMatch(/index entry/);
  });

  it('after a crash, ends the log where an older segment lost its unsynced tail', async () => {
    const e0 = await engine();
    await fill(e0); // and the process dies: no close
    const first = segment(0, '.log');
    const secondBase = Number(segment(1, '').slice(-20));
    truncateSync(first, statSync(first).size - 700); // the last batch, cut inside
    const e = await engine();
    expect(Number(e.highWatermark(tp))).toBe(secondBase - 4);
    expectConsistent(e);
    expect(messages.join('\n')).toMatch(/deleted 2 segments/);
    const r = await e.append(tp, batch(99));
    expect(Number(r.baseOffset)).toBe(secondBase - 4);
  });

  it('after a crash, does not serve a torn batch at the end of an older segment', async () => {
    const e0 = await engine();
    await fill(e0);
    const first = segment(0, '.log');
    const bytes = readFileSync(first);
    bytes.fill(0xab, bytes.length - 100); // the last sector, half written
    writeFileSync(first, bytes);
    const e = await engine();
    expectConsistent(e);
    expect(messages.join('\n')).toMatch(/torn or corrupt/);
  });
});

describe('power-loss damage, commitlog engine', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('after a crash, drops consume-queue entries that point past the log or are zeros', async () => {
    const make = (): CommitLogEngine => new CommitLogEngine({ dir: tmp.dir, flush: { kind: 'none' } }, { cqTailEntries: 4 });
    const e0 = make();
    await e0.open();
    e0.createPartition(tp);
    for (let i = 0; i < 9; i++) await e0.append(tp, batchOf([{ value: `v${i}` }]));
    // The process dies before any sync: the commit log's writes are lost,
    // the consume queue's first spill reached the disk and its second came
    // back as zeros.
    const cq = join(tmp.dir, 'consumequeue', 'p', '0', '0'.repeat(20));
    expect(statSync(cq).size).toBe(8 * 20);
    writeFileSync(cq, Buffer.concat([readFileSync(cq).subarray(0, 4 * 20), Buffer.alloc(4 * 20)]));
    truncateSync(join(tmp.dir, 'commitlog', '0'.repeat(20)), 0);
    const e = make();
    await e.open();
    expect(e.highWatermark(tp)).toBe(0n);
    const r = await e.append(tp, batchOf([{ value: 'again' }]));
    expect(r.baseOffset).toBe(0n);
    expect(readAllBatches(e, tp).map((b) => b.crcOk)).toEqual([true]);
    await e.close();
  });
});

/** The base offset of the first batch a verified read at `offset` returns. */
function firstBase(e: StorageEngine, offset: number): number | undefined {
  const { regions } = e.read(tp, BigInt(offset), 1, { verify: true });
  const bytes = readRegions(regions);
  releaseLeases(regions);
  return batchesIn(bytes)[0]?.baseOffset;
}
