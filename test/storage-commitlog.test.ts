// What only the commit-log engine has: one log shared by every queue,
// consume queues derived from it (and rebuilt from it), two reads per
// lookup, time marks, and retention by whole commit-log files.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitLogEngine, type CommitLogTuning } from '../src/storage/commitlog/engine.js';
import { CQ_ENTRY_BYTES } from '../src/storage/commitlog/cq-entry.js';
import { decodeBatch } from '../src/records/index.js';
import type { EngineOptions, TopicPartition } from '../src/storage/types.js';
import { batchOf, numberedBatch, timedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { readAllBatches } from './helpers/regions.js';

const a: TopicPartition = { topic: 'a', partition: 0 };
const b: TopicPartition = { topic: 'b', partition: 3 };

describe('commitlog engine', () => {
  let tmp: ReturnType<typeof tempDir>;
  const engines: CommitLogEngine[] = [];
  const messages: string[] = [];
  const open = async (o: Partial<EngineOptions> = {}, tuning: CommitLogTuning = {}): Promise<CommitLogEngine> => {
    const e = new CommitLogEngine({ dir: tmp.dir, flush: { kind: 'none' }, log: (m) => messages.push(m), ...o }, tuning);
    await e.open();
    engines.push(e);
    return e;
  };
  const clFiles = (): string[] => readdirSync(join(tmp.dir, 'commitlog')).filter((f) => /^\d{20}$/.test(f)).sort();
  const cqDir = (tp: TopicPartition): string => join(tmp.dir, 'consumequeue', tp.topic, String(tp.partition));
  /** Entries in a queue's files (not those still in memory). */
  const cqFileEntries = (tp: TopicPartition): number => readdirSync(cqDir(tp)).reduce((n, f) => n + statSync(join(cqDir(tp), f)).size, 0) / CQ_ENTRY_BYTES;
  const checkpoint = (): number => {
    const b = readFileSync(join(tmp.dir, 'checkpoint'));
    return b.readUInt32BE(4) * 2 ** 32 + b.readUInt32BE(8);
  };
  const values = (e: CommitLogEngine, tp: TopicPartition): string[] =>
    readAllBatches(e, tp).flatMap((x) => decodeBatch(x.bytes).records.map((r) => r.value!.toString()));

  beforeEach(() => {
    tmp = tempDir();
    messages.length = 0;
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('puts every queue in one commit log, interleaved in append order', async () => {
    const e = await open();
    e.createPartition(a);
    e.createPartition(b);
    for (let i = 0; i < 5; i++) {
      await e.append(a, numberedBatch(`a${i}`, 2));
      await e.append(b, numberedBatch(`b${i}`, 1));
    }
    expect(clFiles()).toEqual(['00000000000000000000']);
    const regionsA = e.read(a, 0n, 1 << 20).regions;
    const regionsB = e.read(b, 0n, 1 << 20).regions;
    // One region per batch, never merged: a header lies between any two.
    expect(regionsA).toHaveLength(5);
    expect(regionsB).toHaveLength(5);
    const positions = [...regionsA, ...regionsB].map((r) => r.position).sort((x, y) => x - y);
    const interleaved = positions.map((p) => (regionsA.some((r) => r.position === p) ? 'a' : 'b')).join('');
    expect(interleaved).toBe('ababababab');
    expect(values(e, a)).toEqual(['a0-0', 'a0-1', 'a1-0', 'a1-1', 'a2-0', 'a2-1', 'a3-0', 'a3-1', 'a4-0', 'a4-1']);
  });

  it('keeps one 20-byte consume-queue entry per record, in files named by byte offset', async () => {
    const e = await open({}, { cqFileEntries: 4 });
    e.createPartition(a);
    await e.append(a, numberedBatch('x', 3));
    await e.append(a, numberedBatch('y', 6));
    await e.flush(); // the entries are in memory until then (cq-dispatch.ts)
    const files = readdirSync(cqDir(a)).sort();
    // 9 entries, 4 per file: offsets [0,4) [4,8) [8,9), named by offset × 20.
    expect(files).toEqual(['00000000000000000000', '00000000000000000080', '00000000000000000160']);
    expect(files.map((f) => statSync(join(cqDir(a), f)).size)).toEqual([4, 4, 1].map((n) => n * CQ_ENTRY_BYTES));
    // Offset 5 lies in the second batch: a read from it starts there.
    const r = e.read(a, 5n, 1 << 20);
    expect(r.regions).toHaveLength(1);
    expect(readAllBatches(e, a, 5n)[0]!.baseOffset).toBe(3);
  });

  it('counts its reads by time: one consume-queue read and one commit-log read per lookup, however many records a batch holds', async () => {
    let e = await open();
    e.createPartition(a);
    // 64 batches of 300 records 1 ms apart, ~23 KiB each: every batch after the first gets a time mark.
    const ts = (offset: number): number => 1_000_000 + offset;
    for (let k = 0; k < 64; k++) await e.append(a, timedBatch(Array.from({ length: 300 }, (_, i) => ts(k * 300 + i)), { valueBytes: 60 }));
    const targets = Array.from({ length: 50 }, (_, i) => 600 + ((i * 7919) % (62 * 300))); // batches 2..63, off their edges
    const cost = (eng: CommitLogEngine, offsets: number[]) => {
      const before = eng.stats();
      for (const o of offsets) expect(eng.offsetForTime(a, BigInt(ts(o)))).toEqual({ offset: BigInt(o), timestamp: BigInt(ts(o)) });
      const after = eng.stats();
      const d = (k: string): number => (after[k]! - before[k]!) / offsets.length;
      return { probes: d('timeSearchProbes'), commitLog: d('commitLogReads'), consumeQueue: d('consumeQueueReads') + d('consumeQueueTailReads') };
    };
    await e.flush(); // else a read straddling the files and the in-memory tail counts one of each
    expect(cost(e, targets)).toEqual({ probes: 1, commitLog: 1, consumeQueue: 1 });
    await e.close();
    // A clean close saves the marks; the next open uses them.
    expect(readdirSync(cqDir(a))).toContain('timemarks');
    e = await open();
    expect(cost(e, targets)).toEqual({ probes: 1, commitLog: 1, consumeQueue: 1 });
    await e.close();
    // After a crash they are built again, by the first lookup: one header read per batch.
    rmSync(join(tmp.dir, '.clean-shutdown'));
    e = await open();
    const first = cost(e, [targets[0]!]);
    expect([first.probes, first.commitLog]).toEqual([64 + 1, 64 + 1]);
    expect(cost(e, targets)).toEqual({ probes: 1, commitLog: 1, consumeQueue: 1 });
    await e.close();
    // Marks that do not check out are built again too.
    const marks = join(cqDir(a), 'timemarks');
    const bytes = readFileSync(marks);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(marks, bytes);
    e = await open();
    expect(cost(e, [targets[1]!]).commitLog).toBe(64 + 1);
  });

  it('rebuilds a deleted consume queue from the commit log', async () => {
    let e = await open();
    e.createPartition(a);
    e.createPartition(b);
    for (let i = 0; i < 20; i++) await e.append(i % 2 ? a : b, numberedBatch(`m${i}`, 3));
    const beforeA = values(e, a);
    await e.close();
    rmSync(cqDir(a), { recursive: true });
    messages.length = 0;
    e = await open();
    expect(messages.join('\n')).toMatch(/rebuilt 60 consume-queue entries in 2 queues/);
    expect(values(e, a)).toEqual(beforeA);
    expect(e.highWatermark(b)).toBe(30n);
    expect((await e.append(a, numberedBatch('after', 1))).baseOffset).toBe(30n);
  });

  it('repairs a consume queue whose tail is garbage after a crash', async () => {
    let e = await open();
    e.createPartition(a);
    for (let i = 0; i < 8; i++) await e.append(a, numberedBatch(`g${i}`, 2));
    // Crash (no close): then half an entry of junk lands at the queue's end.
    const f = join(cqDir(a), readdirSync(cqDir(a)).sort().at(-1)!);
    writeFileSync(f, Buffer.concat([readFileSync(f), Buffer.alloc(CQ_ENTRY_BYTES / 2, 0xee)]));
    engines.splice(0);
    messages.length = 0;
    e = await open();
    expect(messages.join('\n')).toMatch(new RegExp(`consume queue file ${f} is \\d+ bytes, not a whole number of ${CQ_ENTRY_BYTES}-byte entries; rebuilding it`));
    expect(e.highWatermark(a)).toBe(16n);
    expect(values(e, a)).toHaveLength(16);
  });

  it('refuses to serve from a consume-queue entry that points behind the one before it, naming the queue and offset', async () => {
    let e = await open();
    e.createPartition(a);
    for (let i = 0; i < 4; i++) await e.append(a, numberedBatch(`p${i}`, 1));
    await e.close();
    engines.splice(0);
    // Entry 3 made a copy of entry 1: in the log, whole and in range, but behind entry 2.
    const f = join(cqDir(a), readdirSync(cqDir(a)).sort()[0]!);
    const bytes = readFileSync(f);
    bytes.copy(bytes, 3 * CQ_ENTRY_BYTES, CQ_ENTRY_BYTES, 2 * CQ_ENTRY_BYTES);
    writeFileSync(f, bytes);
    e = await open();
    expect(() => e.read(a, 2n, 1 << 20)).toThrow(new RegExp(`consume queue ${cqDir(a)} entry for offset 3 points at position \\d+, behind the entry before it`));
    // What lies before the damage is still served.
    expect(e.read(a, 0n, 1).regions).toHaveLength(1);
  });

  it('rolls to a new commit-log file named by its start position, entries never spanning two', async () => {
    const e = await open({ segmentBytes: 4096 });
    e.createPartition(a);
    for (let i = 0; i < 40; i++) await e.append(a, numberedBatch(`r${i}`.padEnd(200, '.'), 1));
    const files = clFiles();
    expect(files.length).toBeGreaterThan(3);
    let position = 0;
    for (const f of files) {
      expect(Number(f)).toBe(position); // contiguous: each begins where the last ended
      const size = statSync(join(tmp.dir, 'commitlog', f)).size;
      expect(size).toBeLessThanOrEqual(4096);
      position += size;
    }
    expect(values(e, a)).toHaveLength(40);
  });

  it('retention deletes whole commit-log files, moving every queue start past them', async () => {
    const e = await open({ segmentBytes: 4096, retention: { retentionBytes: 4096, retentionMs: -1 } });
    e.createPartition(a);
    e.createPartition(b);
    for (let i = 0; i < 60; i++) await e.append(i % 2 ? a : b, numberedBatch(`d${i}`.padEnd(150, '.'), 1));
    const filesBefore = clFiles().length;
    await e.enforceRetention();
    const filesAfter = clFiles();
    expect(filesAfter.length).toBeLessThan(filesBefore);
    expect(filesAfter[0]).not.toBe('00000000000000000000');
    // Budget: 4096 per queue × 2 queues, and never less.
    const kept = filesAfter.reduce((n, f) => n + statSync(join(tmp.dir, 'commitlog', f)).size, 0);
    expect(kept).toBeGreaterThanOrEqual(8192);
    for (const tp of [a, b]) {
      const start = e.logStartOffset(tp);
      expect(start).toBeGreaterThan(0n);
      expect(BigInt(readAllBatches(e, tp, start)[0]!.baseOffset)).toBe(start);
      expect(() => e.read(tp, start - 1n, 1024)).toThrow(/outside/);
    }
  });

  it('skips a deleted queue\'s entries when rebuilding, and a re-created queue starts empty', async () => {
    let e = await open();
    e.createPartition(a);
    await e.append(a, numberedBatch('old', 5));
    await e.deletePartition(a);
    e.createPartition(a);
    await e.append(a, numberedBatch('new', 2));
    engines.splice(0); // crash: recovery scans the log holding both incarnations
    rmSync(cqDir(a), { recursive: true });
    e = await open();
    expect(values(e, a)).toEqual(['new-0', 'new-1']);
  });

  it('serves reads from a queue\'s in-memory tail, and from its files once written', async () => {
    const e = await open();
    e.createPartition(a);
    await e.append(a, numberedBatch('m0', 3));
    await e.append(a, Buffer.concat([numberedBatch('m1', 2), numberedBatch('m2', 1)]));
    expect(cqFileEntries(a)).toBe(0); // all six entries still in memory
    const six = ['m0-0', 'm0-1', 'm0-2', 'm1-0', 'm1-1', 'm2-0'];
    const s0 = e.stats();
    expect(values(e, a)).toEqual(six);
    expect(readAllBatches(e, a, 4n)[0]!.baseOffset).toBe(3); // from inside a batch
    const s1 = e.stats();
    expect(s1.consumeQueueTailReads! - s0.consumeQueueTailReads!).toBeGreaterThan(0);
    expect(s1.consumeQueueReads).toBe(s0.consumeQueueReads); // no pread
    await e.flush();
    expect(cqFileEntries(a)).toBe(6);
    await e.append(a, numberedBatch('m3', 2)); // a read now spans the file and the tail
    expect(values(e, a)).toEqual([...six, 'm3-0', 'm3-1']);
    const s2 = e.stats();
    expect(s2.consumeQueueReads! - s1.consumeQueueReads!).toBeGreaterThan(0);
    expect(s2.consumeQueueTailReads! - s1.consumeQueueTailReads!).toBeGreaterThan(0);
  });

  it('writes a tail before it passes its size, the oldest once the log is far past it, and the oldest when all hold too many', async () => {
    let e = await open({}, { cqTailEntries: 8 });
    e.createPartition(a);
    await e.append(a, numberedBatch('s', 5));
    expect(cqFileEntries(a)).toBe(0);
    await e.append(a, numberedBatch('t', 5)); // 5 + 5 > 8: the first five go first
    expect(cqFileEntries(a)).toBe(5);
    await e.close();

    e = await open({}, { cqLagBytes: 4096 });
    e.createPartition(b);
    await e.append(b, numberedBatch('old', 1));
    for (let i = 0; cqFileEntries(b) === 0; i++) {
      expect(i).toBeLessThan(5); // ~1 KiB per append: gone once the log is 4 KiB past it
      await e.append(a, numberedBatch('x'.repeat(1000), 1));
    }
    await e.close();

    const c: TopicPartition = { topic: 'c', partition: 0 };
    e = await open({}, { cqMaxEntries: 10 });
    e.createPartition(c);
    const before = [a, b, c].map(cqFileEntries);
    for (const tp of [a, b, c]) await e.append(tp, numberedBatch(tp.topic, 4));
    expect([a, b, c].map((tp, i) => cqFileEntries(tp) - before[i]!)).toEqual([4, 0, 0]); // 4 + 4 + 4 > 10: a's went
    expect(values(e, c)).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
  });

  it('rebuilds entries that were only in memory when the process died', async () => {
    let e = await open();
    e.createPartition(a);
    e.createPartition(b);
    await e.append(a, numberedBatch('x', 2));
    await e.flush(); // to the files, and the checkpoint past them
    await e.append(a, Buffer.concat([numberedBatch('y', 3), numberedBatch('z', 1)]));
    await e.append(b, numberedBatch('w', 2));
    expect([cqFileEntries(a), cqFileEntries(b)]).toEqual([2, 0]);
    engines.splice(0); // crash: no close, the tails are lost
    messages.length = 0;
    e = await open();
    expect(messages.join('\n')).toMatch(/rebuilt 6 consume-queue entries in 2 queues/);
    expect(values(e, a)).toEqual(['x-0', 'x-1', 'y-0', 'y-1', 'y-2', 'z-0']);
    expect(values(e, b)).toEqual(['w-0', 'w-1']);
    expect((await e.append(b, numberedBatch('v', 1))).baseOffset).toBe(2n);
  });

  it('never moves the checkpoint past entries whose consume-queue entries are only in memory (flush=batch)', async () => {
    // The checkpoint would move every 1 MiB; a's entries wait for 1.5 MiB.
    let e = await open({ flush: { kind: 'batch' } }, { cqTailEntries: 16, cqLagBytes: 1536 * 1024 });
    e.createPartition(a);
    e.createPartition(b);
    await e.append(a, numberedBatch('early', 3));
    let advanced = false;
    for (let i = 0; i < 300; i++) {
      await e.append(b, batchOf([{ value: Buffer.alloc(8000, i) }]));
      if (cqFileEntries(a) === 0) expect(checkpoint()).toBe(0);
      advanced ||= checkpoint() > 0;
    }
    expect(cqFileEntries(a)).toBe(3);
    expect(advanced).toBe(true); // once a's entries were written (and synced), it moved on
    engines.splice(0); // crash
    e = await open();
    expect(values(e, a)).toEqual(['early-0', 'early-1', 'early-2']);
    expect(e.highWatermark(b)).toBe(300n);
  });
});
