// The segmented engine's fetch path (LogSegment.read): every offset of every
// batch, against a model built from the .log files themselves, for several
// maxBytes; across rolls, retention, recovery and a clean reopen; and its
// cost in preads (indexScanReads): at most one per read in a log this code
// wrote, none for a consumer resuming where a read to the end stopped.
import { readdirSync, readFileSync, readSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchAt } from '../src/storage/batch-view.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import type { EngineOptions, TopicPartition } from '../src/storage/types.js';
import type { FileRegion } from '../src/transfer/types.js';
import { batchOf } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { batchesIn, readAllBatches, readRegions } from './helpers/regions.js';

const tp: TopicPartition = { topic: 'seg', partition: 0 };
const MAX_BYTES = [1, 100, 4096, 16_384, 1 << 20];

interface ModelBatch {
  file: string;
  base: number;
  last: number;
  pos: number;
  size: number;
}

/** Every batch in the partition's .log files, read straight from disk. */
function model(dir: string): { batches: ModelBatch[]; fileBytes: Map<string, Buffer> } {
  const pdir = join(dir, `${tp.topic}-${tp.partition}`);
  const batches: ModelBatch[] = [];
  const fileBytes = new Map<string, Buffer>();
  for (const f of readdirSync(pdir).filter((n) => /^\d{20}\.log$/.test(n)).sort()) {
    const file = join(pdir, f);
    const buf = readFileSync(file);
    fileBytes.set(file, buf);
    for (let at = 0; at < buf.length; ) {
      const b = batchAt(buf, at)!;
      batches.push({ file, base: b.baseOffset, last: b.baseOffset + b.lastOffsetDelta, pos: at, size: b.size });
      at += b.size;
    }
  }
  return { batches, fileBytes };
}

/** True if the region's first and last bytes (up to 4 KiB each) are the file's there. */
function sameEnds(region: FileRegion, file: Buffer): boolean {
  const n = Math.min(4096, region.length);
  const buf = Buffer.alloc(n);
  for (const at of [region.position, region.position + region.length - n]) {
    if (readSync(region.file.fd, buf, 0, n, at) !== n || !buf.equals(file.subarray(at, at + n))) return false;
  }
  return true;
}

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** A batch of `records` records of `valueBytes` each. */
function batch(records: number, valueBytes: number, fill = 0x61): Buffer {
  return batchOf(Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(valueBytes, fill + (i % 26)) })));
}

/** Appends of 1-3 batches with 1-20 records each, batches of about 70 B to 20 KiB. */
async function appendMixed(engine: SegmentedEngine, count: number, random: () => number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const parts: Buffer[] = [];
    const n = 1 + Math.floor(random() * 3);
    for (let j = 0; j < n; j++) {
      const records = 1 + Math.floor(random() * 20);
      const r = random();
      // Mostly small (several per index entry), some near and past 4 KiB, a few large.
      const total = r < 0.6 ? 10 + Math.floor(random() * 800) : r < 0.9 ? 2000 + Math.floor(random() * 4000) : 8000 + Math.floor(random() * 12_000);
      parts.push(batch(records, Math.max(1, Math.floor(total / records)), 0x61 + (i % 20)));
    }
    await engine.append(tp, Buffer.concat(parts));
  }
}

describe('segmented engine reads', () => {
  let tmp: ReturnType<typeof tempDir>;
  const open: SegmentedEngine[] = [];
  const make = async (options: Partial<EngineOptions> = {}): Promise<SegmentedEngine> => {
    const e = new SegmentedEngine({ dir: tmp.dir, flush: { kind: 'none' }, ...options });
    await e.open();
    e.createPartition(tp);
    open.push(e);
    return e;
  };
  const preads = (e: SegmentedEngine): number => e.stats().indexScanReads!;

  /**
   * Reads at every offset from the log start to the high watermark with
   * each maxBytes and checks the region against the model: it starts at the
   * batch holding the offset and runs for maxBytes, at least that batch
   * whole (KIP-74), at most to the segment's end; its bytes are the file's.
   * At most one pread each.
   */
  const checkEveryOffset = (e: SegmentedEngine): void => {
    const { batches, fileBytes } = model(tmp.dir);
    const start = Number(e.logStartOffset(tp));
    const hw = Number(e.highWatermark(tp));
    expect(batches[0]!.base).toBe(start);
    expect(batches.at(-1)!.last + 1).toBe(hw);
    // Plain checks in the loop (tens of thousands of reads), one expect after.
    const wrong: unknown[] = [];
    let k = 0;
    for (let o = start; o < hw && wrong.length < 5; o++) {
      while (batches[k]!.last < o) k++;
      const b = batches[k]!;
      const file = fileBytes.get(b.file)!;
      for (const maxBytes of MAX_BYTES) {
        const before = preads(e);
        const r = e.read(tp, BigInt(o), maxBytes);
        const cost = preads(e) - before;
        const rest = file.length - b.pos;
        const want = rest <= maxBytes ? rest : Math.max(maxBytes, b.size);
        const region = r.regions[0];
        const ok =
          r.regions.length === 1 &&
          cost <= 1 &&
          region!.position === b.pos &&
          region!.length === want &&
          sameEnds(region!, file);
        if (!ok) wrong.push({ o, maxBytes, cost, got: r.regions, want: { position: b.pos, length: want } });
      }
    }
    expect(wrong).toEqual([]);
    expect(e.read(tp, BigInt(hw), 1 << 20).regions).toEqual([]);
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('finds every offset of multi-record batches of mixed sizes crossing index entries', async () => {
    const e = await make();
    await appendMixed(e, 300, rng(1));
    const { batches } = model(tmp.dir);
    expect(batches.filter((b) => b.size < 1024).length).toBeGreaterThan(100);
    expect(batches.filter((b) => b.size > 4096).length).toBeGreaterThan(50);
    checkEveryOffset(e);
  });

  it('needs no pread at a base offset the index holds (batches of 4 KiB or more)', async () => {
    const e = await make();
    for (let i = 0; i < 50; i++) await e.append(tp, batch(4, 1200)); // about 4.9 KiB each
    const hw = Number(e.highWatermark(tp));
    const before = preads(e);
    // Every batch after the first is indexed; 64 KiB covers each whole.
    for (let o = 4; o < hw; o += 4) e.read(tp, BigInt(o), 1 << 16);
    expect(preads(e) - before).toBe(0);
    // Inside a batch: one pread (its head), as Kafka's lookup.
    e.read(tp, 6n, 1 << 16);
    expect(preads(e) - before).toBe(1);
  });

  it('serves a first batch larger than maxBytes whole, and a consumer reading on from it', async () => {
    const e = await make();
    await e.append(tp, batch(3, 10)); // 0-2
    await e.append(tp, batch(2, 3000)); // 3-4, about 6 KiB
    await e.append(tp, batch(5, 10)); // 5-9
    await e.append(tp, batch(1, 20_000)); // 10
    await e.append(tp, batch(5, 10)); // 11-15
    const got: number[] = [];
    for (let o = 0n; o < e.highWatermark(tp); ) {
      const bs = batchesIn(readRegions(e.read(tp, o, 50).regions));
      expect(bs).toHaveLength(1); // maxBytes below any batch: exactly the first, whole
      got.push(bs[0]!.baseOffset);
      o = BigInt(bs[0]!.lastOffset + 1);
    }
    expect(got).toEqual([0, 3, 5, 10, 11]);
  });

  it('keeps a sequential consumer right while appends go on, resuming at the tail without a pread', async () => {
    const e = await make({ segmentBytes: 64 * 1024 });
    const random = rng(2);
    const seen: Buffer[] = [];
    let offset = 0n;
    let resumed = 0;
    for (let round = 0; round < 60; round++) {
      await appendMixed(e, 1 + Math.floor(random() * 4), random);
      let first = true;
      for (;;) {
        // Every other round resumes with a maxBytes that takes all appended
        // since: no pread. (With less, the first batch's size may be read,
        // to serve it whole: KIP-74.)
        const resuming = first && round > 0;
        const maxBytes = resuming && round % 2 === 0 ? 1 << 20 : [100, 4096, 16_384, 1 << 20][Math.floor(random() * 4)]!;
        const before = preads(e);
        const r = e.read(tp, offset, maxBytes);
        // Resuming where a read to the end of the log stopped: cached.
        if (resuming) {
          expect(preads(e) - before).toBeLessThanOrEqual(maxBytes === 1 << 20 ? 0 : 1);
          resumed++;
        }
        first = false;
        if (r.regions.length === 0) break;
        const bs = batchesIn(readRegions(r.regions));
        expect(bs.length).toBeGreaterThan(0);
        expect(bs[0]!.baseOffset).toBeLessThanOrEqual(Number(offset));
        expect(bs[0]!.lastOffset).toBeGreaterThanOrEqual(Number(offset));
        for (const b of bs) seen.push(b.bytes);
        offset = BigInt(bs.at(-1)!.lastOffset + 1);
      }
      expect(offset).toBe(e.highWatermark(tp));
    }
    expect(resumed).toBe(59);
    // Everything, once, in order, as stored.
    const { batches, fileBytes } = model(tmp.dir);
    expect(batches.length).toBeGreaterThan(100);
    expect(new Set(batches.map((b) => b.file)).size).toBeGreaterThan(3); // rolled
    expect(seen.length).toBe(batches.length);
    batches.forEach((b, i) => expect(seen[i]!.equals(fileBytes.get(b.file)!.subarray(b.pos, b.pos + b.size))).toBe(true));
  });

  it('reads every offset across rolls, and after retention deleted segments', async () => {
    const e = await make({ segmentBytes: 64 * 1024 });
    await appendMixed(e, 200, rng(3));
    expect(new Set(model(tmp.dir).batches.map((b) => b.file)).size).toBeGreaterThan(5);
    checkEveryOffset(e);
    // Read to the end of the first segments (caching their ends), then delete them.
    for (const s of model(tmp.dir).batches) e.read(tp, BigInt(s.base), 1 << 30);
    await e.enforceRetention(() => ({ retentionBytes: 3 * 64 * 1024, retentionMs: -1 }));
    const start = e.logStartOffset(tp);
    expect(start).toBeGreaterThan(0n);
    expect(() => e.read(tp, start - 1n, 4096)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    checkEveryOffset(e);
    await appendMixed(e, 50, rng(4));
    checkEveryOffset(e);
  });

  it('reads every offset after recovery cut a torn tail, and after appending on', async () => {
    const e0 = await make();
    await appendMixed(e0, 200, rng(5));
    // Cache the tail, then "crash" (no close) and tear the last batch.
    e0.read(tp, 0n, 1 << 30);
    open.splice(0);
    const file = model(tmp.dir).batches.at(-1)!.file;
    const last = model(tmp.dir).batches.at(-1)!;
    truncateSync(file, statSync(file).size - Math.floor(last.size / 2));
    const e = await make();
    expect(e.highWatermark(tp)).toBe(BigInt(last.base));
    checkEveryOffset(e);
    await appendMixed(e, 50, rng(6));
    checkEveryOffset(e);
    expect(readAllBatches(e, tp).every((b) => b.crcOk)).toBe(true);
  });

  it('keeps index entries one interval apart across a clean reopen (one pread per lookup)', async () => {
    const e0 = await make();
    // Small batches only: many per index entry; stop part way into an interval.
    for (let i = 0; i < 130; i++) await e0.append(tp, batch(2, 20));
    await e0.close();
    open.splice(0);
    const e = await make();
    for (let i = 0; i < 200; i++) await e.append(tp, batch(2, 20));
    checkEveryOffset(e); // at most one pread per read
  });

  it('returns whole batches with verify at every offset', async () => {
    const e = await make({ segmentBytes: 128 * 1024 });
    await appendMixed(e, 100, rng(7));
    const hw = Number(e.highWatermark(tp));
    for (let o = 0; o < hw; o += 3) {
      for (const maxBytes of [100, 16_384]) {
        const plain = batchesIn(readRegions(e.read(tp, BigInt(o), maxBytes).regions));
        const r = e.read(tp, BigInt(o), maxBytes, { verify: true });
        const verified = batchesIn(readRegions(r.regions));
        expect(verified.map((b) => b.baseOffset)).toEqual(plain.map((b) => b.baseOffset));
        expect(verified.reduce((n, b) => n + b.bytes.length, 0)).toBe(r.bytes);
        expect(verified[0]!.lastOffset).toBeGreaterThanOrEqual(o);
      }
    }
  });
});
