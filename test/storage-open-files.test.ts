// Both engines under a small open-file budget (maxOpenFiles 64) with
// hundreds of partitions: the pool closes idle files and opens them again,
// and nothing a reader or a restart sees may change. Open fds are counted
// where the kernel counts them, /proc/self/fd (vitest runs each file in its
// own process).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommitLogEngine } from '../src/storage/commitlog/engine.js';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import type { CleanResult, EngineOptions, FlushPolicy, StorageEngine, TopicPartition } from '../src/storage/types.js';
import { releaseRegions, strategyByName, type FileRegion } from '../src/transfer/index.js';
import { numberedBatch } from './helpers/batches.js';
import { allRecords, keyedBatch, latestByKey } from './helpers/compaction.js';
import { tempDir } from './helpers/files.js';
import { readAllBatches, readRegions } from './helpers/regions.js';
import { PairFactory, readExactly } from './helpers/sockets.js';

const LIMIT = 64;
const PARTITIONS = 300;
const ROUNDS = 3;

const ENGINES = [
  { name: 'segmented', make: (o: EngineOptions): StorageEngine => new SegmentedEngine(o) },
  // Consume-queue entries written every other append, in files of 4: queue files are written, rolled and read, not only held in memory.
  { name: 'commitlog', make: (o: EngineOptions): StorageEngine => new CommitLogEngine(o, { cqTailEntries: 2, cqFileEntries: 4 }) },
];

const openFds = (): number => readdirSync('/proc/self/fd').length;
const tpOf = (p: number): TopicPartition => ({ topic: 'many', partition: p });

/** Files an engine holds outside its pool: the commit log's files, its queue directory and checkpoint. */
function outsidePool(e: StorageEngine): number {
  return e.kind === 'commitlog' ? e.stats().commitLogFiles! + 2 : 0;
}

describe.each(ENGINES)('$name engine with 64 open files for 300 partitions', (factory) => {
  let tmp: ReturnType<typeof tempDir>;
  const engines: StorageEngine[] = [];
  // What each partition holds: the stored batches, in order (append writes the base offset into the buffer given).
  let stored: Buffer[][];

  const open = async (flush: FlushPolicy = { kind: 'none' }): Promise<StorageEngine> => {
    // Small segments: partitions roll, so closed segments and their indexes are in the pool too.
    const e = factory.make({ dir: tmp.dir, flush, maxOpenFiles: LIMIT, segmentBytes: 4096 });
    await e.open();
    engines.push(e);
    return e;
  };

  /** Appends ROUNDS batches to every partition round-robin, checking each one reads back, and the fds open after each step. */
  const fill = async (e: StorageEngine, concurrent: number): Promise<number> => {
    let most = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let p = 0; p < PARTITIONS; p += concurrent) {
        const group = Array.from({ length: Math.min(concurrent, PARTITIONS - p) }, (_, k) => p + k);
        const batches = group.map((q) => numberedBatch(`p${q}-r${r}-${'x'.repeat(q % 200)}`, 1 + (q % 3)));
        const results = await Promise.all(group.map((q, k) => e.append(tpOf(q), batches[k]!)));
        group.forEach((q, k) => {
          stored[q]!.push(batches[k]!);
          const read = e.read(tpOf(q), results[k]!.baseOffset, 1 << 20);
          expect(readRegions(read.regions).equals(batches[k]!)).toBe(true);
          releaseRegions(read.regions);
        });
        most = Math.max(most, openFds() - outsidePool(e));
      }
    }
    return most;
  };

  /** Every partition reads back whole, round-robin. */
  const expectAll = (e: StorageEngine): void => {
    for (let p = 0; p < PARTITIONS; p++) {
      const seen = readAllBatches(e, tpOf(p)).map((b) => b.bytes);
      expect(seen.length, `partition ${p}`).toBe(stored[p]!.length);
      seen.forEach((b, i) => expect(b.equals(stored[p]![i]!), `partition ${p} batch ${i}`).toBe(true));
    }
  };

  beforeEach(() => {
    tmp = tempDir();
    stored = Array.from({ length: PARTITIONS }, () => []);
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('appends and reads every partition round-robin with the right bytes, never past 64 open files, and a restart finds it all', async () => {
    const before = openFds();
    const e = await open();
    for (let p = 0; p < PARTITIONS; p++) e.createPartition(tpOf(p));
    expect(openFds() - outsidePool(e) - before).toBeLessThanOrEqual(LIMIT);
    const most = await fill(e, 1);
    expect(most - before).toBeLessThanOrEqual(LIMIT);
    expectAll(e);
    const s = e.stats();
    expect(s.openFiles).toBeLessThanOrEqual(LIMIT);
    expect(s.fileEvictions).toBeGreaterThan(PARTITIONS);
    expect(s.fileReopens).toBeGreaterThan(PARTITIONS);
    await e.close();
    engines.length = 0;
    expect(openFds()).toBe(before);

    const again = await open();
    expectAll(again);
    expect(openFds() - outsidePool(again) - before).toBeLessThanOrEqual(LIMIT);
    const next = numberedBatch('after-restart', 2);
    await again.append(tpOf(7), next);
    stored[7]!.push(next);
    expectAll(again);
  });

  it('under flush=batch with 64 appends at once: every group commit syncs files the pool closes meanwhile, and a restart without close finds it all', async () => {
    const before = openFds();
    const e = await open({ kind: 'batch' });
    for (let p = 0; p < PARTITIONS; p++) e.createPartition(tpOf(p));
    const most = await fill(e, 64);
    // The fdatasyncs in flight hold leases on files the pool has closed: a few over the budget, never many.
    expect(most - before).toBeLessThanOrEqual(LIMIT + 64);
    expect(e.stats().syncs).toBeGreaterThan(0);
    expectAll(e);
    // The process "dies": a second engine opens the directory with the first never closed.
    const again = await open();
    expectAll(again);
  });

  describe('a region read before its file was closed by the pool', () => {
    const pairs = new PairFactory();
    beforeAll(() => pairs.start());
    afterAll(() => pairs.stop());

    it.each(['sendfile', 'mmap', 'copy'])('still sends the right bytes with %s, and its fd closes when the lease goes', async (strategy) => {
      const e = await open();
      for (let p = 0; p < PARTITIONS; p++) e.createPartition(tpOf(p));
      // Two appends: the commit log's queue then has the first one's entries in its file, not only in memory.
      const batches = [numberedBatch(`waiting-${strategy}`, 5), numberedBatch(`and-${strategy}`, 1)];
      for (const b of batches) await e.append(tpOf(0), b);
      const expected = Buffer.concat(batches);
      const waiting = e.read(tpOf(0), 0n, 1 << 20);
      const file = waiting.regions[0]!.file;
      const reopensBefore = e.stats().fileReopens!;
      // Every other partition writes its files after it (twice: the second append writes the first one's queue entries),
      // so partition 0's are the least recently used, and go.
      for (let p = 1; p < PARTITIONS; p++) for (let k = 0; k < 2; k++) await e.append(tpOf(p), numberedBatch(`other-${p}`, 3));
      const fresh = e.read(tpOf(0), 0n, 1 << 20);
      expect(e.stats().fileReopens).toBeGreaterThan(reopensBefore); // partition 0 was opened again
      if (e.kind === 'segmented') {
        // The log itself was closed by the pool and opened anew: the region's fd lives on its lease alone.
        expect(fresh.regions[0]!.file).not.toBe(file);
      }
      releaseRegions(fresh.regions);
      expect(file.open).toBe(true);
      const { sender, receiver } = await pairs.pair();
      const got = readExactly(receiver, expected.length);
      await strategyByName(strategy).send(sender, null, waiting.regions);
      expect((await got).equals(expected)).toBe(true);
      releaseRegions(waiting.regions as FileRegion[]);
      if (e.kind === 'segmented') expect(file.open).toBe(false);
    });
  });
});

describe('the log cleaner with 16 open files', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('swaps out segments whose index files the pool closed, their entries rebuilt by recovery and not yet written', async () => {
    const compacted: TopicPartition = { topic: 'compacted', partition: 0 };
    const others = Array.from({ length: 30 }, (_, p) => ({ topic: 'other', partition: p }));
    const logs: string[] = [];
    // 16 KiB segments: several index entries each (one per 4 KiB), so a rebuilt index has entries to write.
    const open = async (): Promise<SegmentedEngine> => {
      const e = new SegmentedEngine({ dir: tmp.dir, flush: { kind: 'none' }, segmentBytes: 16 * 1024, maxOpenFiles: 16, log: (m) => logs.push(m) });
      await e.open();
      return e;
    };
    let e = await open();
    for (const tp of [compacted, ...others]) e.createPartition(tp);
    const appended: { key: string; offset: number }[] = [];
    for (let i = 0; i < 200; i++) {
      const first = Number(e.highWatermark(compacted));
      const entries = Array.from({ length: 20 }, (_, j) => ({ key: `k${(i * 7 + j) % 50}` }));
      await e.append(compacted, keyedBatch(entries, first));
      entries.forEach((x, j) => appended.push({ key: x.key, offset: first + j }));
    }
    await e.close();
    // Damage every closed segment's offset index: opening checks it, rebuilds it in memory, and writes it only at a flush, roll or close.
    const dir = join(tmp.dir, 'compacted-0');
    const bases = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
    expect(bases.length).toBeGreaterThan(3);
    const active = bases.at(-1)!;
    const pastTheEnd = Buffer.alloc(8);
    pastTheEnd.writeUInt32BE(0x7fffffff, 4);
    for (const b of bases.slice(0, -1)) writeFileSync(join(dir, `${String(b).padStart(20, '0')}.index`), pastTheEnd);
    e = await open();
    expect(logs.filter((m) => /index entry 0 points at byte 2147483647/.test(m))).toHaveLength(bases.length - 1);
    // Every other partition is used after: the pool closes the compacted partition's index files.
    for (const tp of others) await e.append(tp, numberedBatch('other', 1));
    const cleaner = e.startCleaner({ ioBytesPerSecond: -1, backoffMs: 3_600_000, dedupeBufferBytes: 1024 * 1024 }, (tp) =>
      tp.topic === compacted.topic ? { deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0.1, minCompactionLagMs: 0, maxCompactionLagMs: -1 } : null,
    );
    // The cleaner's loop starts with a pass of its own; runNow() waits for it.
    const results: CleanResult[] = [];
    cleaner.onCleaned((r) => results.push(r));
    results.push(...(await cleaner.runNow()));
    expect(logs.filter((m) => /cleaning failed/.test(m))).toEqual([]);
    expect(results.map((r) => r.endOffset)).toEqual([active]);
    const latest = latestByKey(appended.filter((a) => a.offset < active));
    const after = allRecords(e, compacted);
    for (const r of after) expect(r.value).toBe(`${r.key}@${r.offset}`);
    expect(after.filter((r) => r.offset < active).map((r) => r.offset)).toEqual([...latest.values()].sort((a, b) => a - b));
    await e.close();
    // And a restart reads the same.
    e = await open();
    expect(allRecords(e, compacted)).toEqual(after);
    await e.close();
  });
});
