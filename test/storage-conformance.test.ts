// One suite, every engine: what any StorageEngine must do.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBatch } from '../src/records/index.js';
import type { EngineOptions, StorageEngine, TopicPartition } from '../src/storage/types.js';
import { batchOf, numberedBatch, timedBatch } from './helpers/batches.js';
import { ENGINES } from './helpers/engines.js';
import { tempDir } from './helpers/files.js';
import { batchesIn, readAllBatches, readRegions } from './helpers/regions.js';
import { expectedAt, probeTimes, seededRandom, testSeed, wanderingBatches } from './helpers/timed-log.js';
import { until } from './helpers/until.js';

const tp: TopicPartition = { topic: 'orders', partition: 0 };

describe.each(ENGINES)('$name engine', (factory) => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: StorageEngine;
  const open = async (o: Partial<EngineOptions> = {}): Promise<StorageEngine> => {
    engine = factory.make({ dir: tmp.dir, flush: { kind: 'none' }, ...o });
    await engine.open();
    return engine;
  };
  const readAll = (e: StorageEngine, t: TopicPartition, from?: bigint) => readAllBatches(e, t, from);

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('starts empty: high watermark 0, nothing to read, past it out of range', async () => {
    const e = await open();
    e.createPartition(tp);
    expect(e.highWatermark(tp)).toBe(0n);
    expect(e.logStartOffset(tp)).toBe(0n);
    expect(e.read(tp, 0n, 1000).regions).toEqual([]);
    expect(() => e.read(tp, 1n, 1000)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
  });

  it('assigns offsets, keeps the bytes and the CRC, and reads them back', async () => {
    const e = await open();
    e.createPartition(tp);
    const a = await e.append(tp, numberedBatch('a', 3));
    const b = await e.append(tp, numberedBatch('b', 2));
    expect([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset]).toEqual([0n, 2n, 3n, 4n]);
    expect(e.highWatermark(tp)).toBe(5n);
    const seen = readAll(e, tp);
    expect(seen.map((s) => [s.baseOffset, s.lastOffset, s.crcOk])).toEqual([[0, 2, true], [3, 4, true]]);
    const decoded = decodeBatch(seen[1]!.bytes);
    expect(decoded.records.map((r) => r.value!.toString())).toEqual(['b-0', 'b-1']);
  });

  it('takes several batches in one append', async () => {
    const e = await open();
    e.createPartition(tp);
    const r = await e.append(tp, Buffer.concat([numberedBatch('x', 2), numberedBatch('y', 4)]));
    expect([r.baseOffset, r.lastOffset]).toEqual([0n, 5n]);
    expect(readAll(e, tp).map((s) => s.baseOffset)).toEqual([0, 2]);
  });

  it('reads from the batch holding an offset in its middle', async () => {
    const e = await open();
    e.createPartition(tp);
    for (let i = 0; i < 20; i++) await e.append(tp, numberedBatch(`n${i}`, 5));
    const seen = readAll(e, tp, 47n);
    expect(seen[0]!.baseOffset).toBe(45);
    expect(seen.at(-1)!.lastOffset).toBe(99);
    expect(e.read(tp, 100n, 1000).regions).toEqual([]);
  });

  it('honours maxBytes but always returns the first batch whole', async () => {
    const e = await open();
    e.createPartition(tp);
    const big = batchOf([{ value: Buffer.alloc(10_000, 1) }]);
    await e.append(tp, big);
    await e.append(tp, numberedBatch('after', 3));
    const r = e.read(tp, 0n, 100);
    expect(r.bytes).toBeGreaterThanOrEqual(big.length);
    expect(batchesIn(readRegions(r.regions))[0]!.crcOk).toBe(true);
    const all = e.read(tp, 0n, 1 << 20);
    expect(all.bytes).toBeGreaterThan(big.length);
    expect(all.bytes).toBeLessThanOrEqual(1 << 20);
  });

  it('rejects bad batches with clear errors and writes nothing', async () => {
    const e = await open({ limits: { maxBatchBytes: 5000 } });
    e.createPartition(tp);
    await e.append(tp, numberedBatch('ok', 1));
    const flipped = numberedBatch('bad', 2);
    flipped[flipped.length - 3]! ^= 0x01;
    await expect(e.append(tp, flipped)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE', kafkaErrorCode: 2 });
    const magic1 = numberedBatch('m', 1);
    magic1[16] = 1;
    await expect(e.append(tp, magic1)).rejects.toMatchObject({ code: 'INVALID_RECORD', kafkaErrorCode: 87, message: expect.stringMatching(/magic/) });
    await expect(e.append(tp, numberedBatch('t', 2).subarray(0, 40))).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    await expect(e.append(tp, Buffer.alloc(0))).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    await expect(e.append(tp, batchOf([{ value: Buffer.alloc(6000) }]))).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE', kafkaErrorCode: 10 });
    // A good batch followed by a bad one: all or nothing.
    await expect(e.append(tp, Buffer.concat([numberedBatch('g', 1), flipped]))).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    await expect(e.append({ topic: 'nope', partition: 0 }, numberedBatch('x', 1))).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(() => e.createPartition({ topic: 'bad/name', partition: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }));
    expect(e.highWatermark(tp)).toBe(1n);
    expect(readAll(e, tp).map((s) => s.baseOffset)).toEqual([0]);
  });

  it('finds offsets by time', async () => {
    const e = await open();
    e.createPartition(tp);
    for (let i = 0; i < 50; i++) await e.append(tp, numberedBatch(`t${i}`, 2, 1_000_000 + i * 1000));
    const at = (t: bigint) => e.offsetForTime(tp, t);
    expect(at(0n)).toEqual({ offset: 0n, timestamp: 1_000_000n });
    expect(at(1_000_000n)).toEqual({ offset: 0n, timestamp: 1_000_000n });
    expect(at(1_000_001n)).toEqual({ offset: 2n, timestamp: 1_001_000n });
    expect(at(1_025_000n)).toEqual({ offset: 50n, timestamp: 1_025_000n });
    expect(at(1_049_000n)).toEqual({ offset: 98n, timestamp: 1_049_000n });
    expect(at(1_049_001n)).toBeNull();
  });

  it('finds the record by time, not its batch, in batches of 1,000 records', async () => {
    const e = await open();
    e.createPartition(tp);
    // Batch k: records 7 ms apart from 1,000,000 + 10 s × k, so batches have gaps between them.
    const ts = (k: number, i: number): number => 1_000_000 + k * 10_000 + i * 7;
    for (let k = 0; k < 5; k++) await e.append(tp, timedBatch(Array.from({ length: 1000 }, (_, i) => ts(k, i))));
    const at = (t: number) => e.offsetForTime(tp, BigInt(t));
    const record = (offset: number) => ({ offset: BigInt(offset), timestamp: BigInt(ts(Math.floor(offset / 1000), offset % 1000)) });
    expect(at(0)).toEqual(record(0));
    expect(at(ts(2, 500))).toEqual(record(2500)); // a record's own time
    expect(at(ts(2, 500) + 1)).toEqual(record(2501)); // between two records
    expect(at(ts(0, 999) + 1)).toEqual(record(1000)); // in the gap after a batch
    expect(at(ts(4, 999))).toEqual(record(4999));
    expect(at(ts(4, 999) + 1)).toBeNull();
  });

  it('answers by record timestamps when batches go back in time, log-append time included', async () => {
    const seed = testSeed(`${factory.name} time lookups`);
    const rnd = seededRandom(seed);
    const clock = { ms: 1_700_000_000_000 };
    let e = await open({ segmentBytes: 256 * 1024 });
    e.createPartition(tp);
    const log = wanderingBatches(rnd, 60, 0, clock);
    for (const b of log.batches) await e.append(tp, b);
    const check = (what: string): void => {
      const wrong = probeTimes(rnd, log.records, 300).filter((t) => !isDeepStrictEqual(e.offsetForTime(tp, BigInt(t)), expectedAt(log.records, t)));
      expect(wrong.map((t) => ({ t, got: e.offsetForTime(tp, BigInt(t)), want: expectedAt(log.records, t) })), `${what}, seed ${seed}`).toEqual([]);
    };
    check('as appended');
    await e.close();
    e = await open({ segmentBytes: 256 * 1024 });
    check('after a clean restart');
    const more = wanderingBatches(rnd, 20, log.records.length, clock);
    for (const b of more.batches) await e.append(tp, b);
    log.records.push(...more.records);
    check('appended after the restart');
    await e.close();
    rmSync(join(tmp.dir, '.clean-shutdown')); // as if the process had died after its last write
    e = await open({ segmentBytes: 256 * 1024 });
    check('after a restart that recovered');
  });

  it('goes on to the next batch when a batch claims a maxTimestamp none of its records has', async () => {
    const e = await open();
    e.createPartition(tp);
    await e.append(tp, timedBatch([100, 200], { maxTimestampMs: 9999 }));
    await e.append(tp, timedBatch([5000, 6000]));
    expect(e.offsetForTime(tp, 150n)).toEqual({ offset: 1n, timestamp: 200n });
    expect(e.offsetForTime(tp, 300n)).toEqual({ offset: 2n, timestamp: 5000n });
    expect(e.offsetForTime(tp, 6001n)).toBeNull();
  });

  it('gives records of log-append-time batches the batch time', async () => {
    const e = await open();
    e.createPartition(tp);
    await e.append(tp, timedBatch([1, 2, 3], { logAppendTimeMs: 5000 }));
    await e.append(tp, timedBatch([6000, 6001, 6002]));
    await e.append(tp, timedBatch([9, 9], { logAppendTimeMs: 7000 }));
    expect(e.offsetForTime(tp, 2n)).toEqual({ offset: 0n, timestamp: 5000n });
    expect(e.offsetForTime(tp, 5001n)).toEqual({ offset: 3n, timestamp: 6000n });
    expect(e.offsetForTime(tp, 6003n)).toEqual({ offset: 6n, timestamp: 7000n });
    expect(e.offsetForTime(tp, 7001n)).toBeNull();
  });

  it('looks by time only at what retention kept', async () => {
    const e = await open({ segmentBytes: 8192, retention: { retentionBytes: 20_000 } });
    e.createPartition(tp);
    for (let i = 0; i < 200; i++) await e.append(tp, timedBatch(Array.from({ length: 10 }, (_, r) => 1000 + i * 10 + r)));
    await e.enforceRetention();
    const start = Number(e.logStartOffset(tp));
    expect(start).toBeGreaterThan(0);
    expect(e.offsetForTime(tp, 0n)).toEqual({ offset: BigInt(start), timestamp: BigInt(1000 + start) });
    expect(e.offsetForTime(tp, 2500n)).toEqual({ offset: 1500n, timestamp: 2500n });
  });

  it('knows its largest timestamp, when batches go back in time, after a restart and after retention', async () => {
    const e0 = await open({ segmentBytes: 8192, retention: { retentionBytes: 20_000 } });
    e0.createPartition(tp);
    expect(e0.maxTimestamp(tp)).toBe(-1n);
    // The largest comes early, in a batch retention will delete; then batches of 10 whose times go back and forth.
    await e0.append(tp, timedBatch([500, 90_000, 600]));
    const first = (i: number): number => 1000 + ((i * 37) % 200) * 10;
    for (let i = 0; i < 200; i++) await e0.append(tp, timedBatch(Array.from({ length: 10 }, (_, r) => first(i) + r)));
    expect(e0.maxTimestamp(tp)).toBe(90_000n);
    expect(e0.offsetForTime(tp, 90_000n)).toEqual({ offset: 1n, timestamp: 90_000n });
    await e0.close();
    const e = await open({ segmentBytes: 8192, retention: { retentionBytes: 20_000 } });
    expect(e.maxTimestamp(tp)).toBe(90_000n);
    await e.enforceRetention();
    const start = Number(e.logStartOffset(tp));
    expect(start).toBeGreaterThan(3);
    const kept = Array.from({ length: 200 }, (_, i) => i).filter((i) => 3 + i * 10 >= start);
    const peak = kept.reduce((a, i) => (first(i) > first(a) ? i : a));
    expect(e.maxTimestamp(tp)).toBe(BigInt(first(peak) + 9));
    expect(e.offsetForTime(tp, BigInt(first(peak) + 9))).toEqual({ offset: BigInt(3 + peak * 10 + 9), timestamp: BigInt(first(peak) + 9) });
  });

  it('keeps everything across a clean restart', async () => {
    const e = await open();
    e.createPartition(tp);
    e.createPartition({ topic: 'other', partition: 3 });
    for (let i = 0; i < 10; i++) await e.append(tp, numberedBatch(`r${i}`, 3, 5000 + i));
    await e.close();
    const again = await open();
    expect(again.partitions().map((p) => `${p.topic}/${p.partition}`).sort()).toEqual(['orders/0', 'other/3']);
    expect(again.highWatermark(tp)).toBe(30n);
    expect(readAll(again, tp).map((s) => s.baseOffset)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(again.offsetForTime(tp, 5005n)).toEqual({ offset: 15n, timestamp: 5005n });
    const next = await again.append(tp, numberedBatch('after', 1));
    expect(next.baseOffset).toBe(30n);
  });

  it('rolls files and deletes old data by size', async () => {
    const e = await open({ segmentBytes: 8192, retention: { retentionBytes: 20_000 } });
    e.createPartition(tp);
    for (let i = 0; i < 200; i++) await e.append(tp, numberedBatch(`s${i}`, 10));
    await e.enforceRetention();
    const start = e.logStartOffset(tp);
    expect(start).toBeGreaterThan(0n);
    expect(e.highWatermark(tp)).toBe(2000n);
    expect(() => e.read(tp, 0n, 1000)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    const seen = readAll(e, tp, start);
    expect(seen[0]!.baseOffset).toBe(Number(start));
    expect(seen.at(-1)!.lastOffset).toBe(1999);
  });

  it('deletes old data by time', async () => {
    let now = 1_000_000;
    const e = await open({ segmentBytes: 4096, retention: { retentionMs: 60_000 }, now: () => now });
    e.createPartition(tp);
    for (let i = 0; i < 60; i++) await e.append(tp, numberedBatch(`old${i}`, 5, now));
    now += 120_000;
    for (let i = 0; i < 5; i++) await e.append(tp, numberedBatch(`new${i}`, 5, now));
    await e.enforceRetention();
    // Whole segments go, so some old records may stay in the one that
    // also holds new ones; but the oldest segments are gone.
    expect(e.logStartOffset(tp)).toBeGreaterThan(0n);
    expect(e.logStartOffset(tp)).toBeLessThanOrEqual(300n);
    expect(e.highWatermark(tp)).toBe(325n);
    expect(readAll(e, tp, e.logStartOffset(tp)).at(-1)!.lastOffset).toBe(324);
  });

  it('applies a policy per partition where the engine says it can', async () => {
    const e = await open({ segmentBytes: 4096 });
    const keep = { topic: 'keep', partition: 0 };
    const trim = { topic: 'trim', partition: 0 };
    e.createPartition(keep);
    e.createPartition(trim);
    for (let i = 0; i < 40; i++) {
      await e.append(keep, numberedBatch(`k${i}`.padEnd(100, '.'), 2));
      await e.append(trim, numberedBatch(`t${i}`.padEnd(100, '.'), 2));
    }
    await e.enforceRetention((p) => (p.topic === 'trim' ? { retentionBytes: 4096, retentionMs: -1 } : { retentionBytes: -1, retentionMs: -1 }));
    if (e.perPartitionRetention) {
      expect(e.logStartOffset(keep)).toBe(0n);
      expect(e.logStartOffset(trim)).toBeGreaterThan(0n);
    } else {
      // One shared log: the engine-wide policy (keep everything) stands.
      expect([e.logStartOffset(keep), e.logStartOffset(trim)]).toEqual([0n, 0n]);
    }
    expect(e.highWatermark(trim)).toBe(80n);
  });

  it('enforces the partition limit', async () => {
    const e = await open({ limits: { maxPartitions: 3 } });
    for (let p = 0; p < 3; p++) e.createPartition({ topic: 't', partition: p });
    expect(() => e.createPartition({ topic: 't', partition: 3 })).toThrow(expect.objectContaining({ code: 'POLICY_VIOLATION' }));
    e.createPartition({ topic: 't', partition: 1 }); // existing: fine
  });

  it('keeps 64 partitions apart under concurrent appends', async () => {
    const e = await open();
    const tps = Array.from({ length: 64 }, (_, p) => ({ topic: 'many', partition: p }));
    for (const t of tps) e.createPartition(t);
    await Promise.all(tps.flatMap((t) => Array.from({ length: 5 }, (_, i) => e.append(t, numberedBatch(`p${t.partition}-${i}`, 2)))));
    for (const t of tps) {
      const seen = readAll(e, t);
      expect(seen.map((s) => s.baseOffset)).toEqual([0, 2, 4, 6, 8]);
      const values = seen.flatMap((s) => decodeBatch(s.bytes).records.map((r) => r.value!.toString()));
      expect(values.every((v) => v.startsWith(`p${t.partition}-`))).toBe(true);
    }
  });

  it('syncs before resolving under flush=batch, sharing fsyncs between concurrent appends', async () => {
    const e = await open({ flush: { kind: 'batch' } });
    e.createPartition(tp);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => e.append(tp, numberedBatch(`g${i}`, 1))));
    expect(new Set(results.map((r) => r.baseOffset)).size).toBe(40);
    const syncs = e.stats().syncs!;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(40);
  });

  it('syncs on its own under flush=interval', async () => {
    const e = await open({ flush: { kind: 'interval', intervalMs: 5 } });
    e.createPartition(tp);
    await e.append(tp, numberedBatch('i', 1));
    await until('the interval flush has synced', () => (e.stats().syncs ?? 0) > 0);
  });

  it('deletes a partition and its files', async () => {
    const e = await open();
    e.createPartition(tp);
    await e.append(tp, numberedBatch('d', 1));
    await e.deletePartition(tp);
    expect(e.partitions()).toEqual([]);
    await e.close();
    const again = await open();
    expect(again.partitions()).toEqual([]);
  });
});
