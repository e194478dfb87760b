// The segmented engine's lookup by time (segment-time.ts) and what it costs
// in preads (stats().timeLookupReads): the time index, then one read of the
// batch region, whatever the size of a batch; also after a
// clean reopen, when the largest timestamp sat past the last index entry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import type { TopicPartition } from '../src/storage/types.js';
import { timedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';

const tp: TopicPartition = { topic: 'times', partition: 0 };

describe('segmented engine: offsetForTime', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: SegmentedEngine | undefined;
  const open = async (): Promise<SegmentedEngine> => {
    engine = new SegmentedEngine({ dir: tmp.dir, flush: { kind: 'none' } });
    await engine.open();
    return engine;
  };
  /** preads per lookup, checking each answer. */
  const readsPerLookup = (e: SegmentedEngine, lookups: { t: number; offset: number; timestamp: number }[]): number => {
    const before = e.stats().timeLookupReads!;
    for (const l of lookups) expect(e.offsetForTime(tp, BigInt(l.t))).toEqual({ offset: BigInt(l.offset), timestamp: BigInt(l.timestamp) });
    return (e.stats().timeLookupReads! - before) / lookups.length;
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await engine?.close().catch(() => undefined);
    tmp.cleanup();
  });

  it.each([
    [1000, 40], // ~48 KiB batches
    [148, 100], // ~16 KiB batches, as a Kafka producer's default batch.size
    [20, 100], // ~2 KiB batches: several between two index entries
  ])('reads the batch region in one pread per lookup, %i records per batch', async (records, valueBytes) => {
    const e = await open();
    e.createPartition(tp);
    const ts = (offset: number): number => 1_000_000 + offset;
    for (let k = 0; k < 100; k++) await e.append(tp, timedBatch(Array.from({ length: records }, (_, i) => ts(k * records + i)), { valueBytes }));
    const lookups = Array.from({ length: 200 }, (_, i) => {
      const offset = (i * 7919) % (100 * records);
      return { t: ts(offset), offset, timestamp: ts(offset) };
    });
    expect(readsPerLookup(e, lookups)).toBe(1);
  });

  it('starts at the batch that set the largest timestamp after a clean reopen, not at the segment start', async () => {
    let e = await open();
    e.createPartition(tp);
    const five = (t: number): Buffer => timedBatch(Array.from({ length: 50 }, () => t), { valueBytes: 100 }); // ~5.8 KiB: each gets an index entry
    for (let k = 0; k < 100; k++) await e.append(tp, five(1000 + k));
    await e.append(tp, timedBatch([2000], { valueBytes: 10 })); // small: the next batch gets no index entry
    await e.append(tp, timedBatch([50_000], { valueBytes: 10 })); // the maximum, past the last index entry
    await e.close();
    e = await open();
    for (let k = 0; k < 4; k++) await e.append(tp, five(20_000 + k)); // back in time: an index entry, the maximum unchanged
    await e.append(tp, five(60_000));
    const last = 100 * 50 + 2 + 4 * 50;
    expect(readsPerLookup(e, [{ t: 55_000, offset: last, timestamp: 60_000 }])).toBe(1);
    expect(readsPerLookup(e, [{ t: 30_000, offset: 100 * 50 + 1, timestamp: 50_000 }])).toBe(1);
  });
});
