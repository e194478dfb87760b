// The segmented engine's lookup by time (segment-time.ts) and what it costs
// in preads (stats().timeLookupReads): the time index, then one read of the
// batch region, whatever the number of records in a batch.
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
    [1000, 40], // ~48 KiB batches: the chunk read holds the batch before and part of the one found; one more pread for the rest
    [148, 100], // ~16 KiB batches, as a Kafka producer's default batch.size: one pread
  ])('reads the batch region once or twice per lookup, %i records per batch', async (records, valueBytes) => {
    const e = await open();
    e.createPartition(tp);
    const ts = (offset: number): number => 1_000_000 + offset;
    for (let k = 0; k < 100; k++) await e.append(tp, timedBatch(Array.from({ length: records }, (_, i) => ts(k * records + i)), { valueBytes }));
    const lookups = Array.from({ length: 200 }, (_, i) => {
      const offset = (i * 7919) % (100 * records);
      return { t: ts(offset), offset, timestamp: ts(offset) };
    });
    expect(readsPerLookup(e, lookups)).toBeLessThanOrEqual(records === 1000 ? 2 : 1);
  });
});
