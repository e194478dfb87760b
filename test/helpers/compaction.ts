// Compacted-log fixtures: keyed records whose values name their own offset,
// so a test (or a crash test's parent) can check that cleaning kept the
// latest value of each key, at its original offset, and nothing it should
// not have.
import { decodeBatch, encodeBatch, recordOffset, type CompressionCodec } from '../../src/records/index.js';
import type { StorageEngine, TopicPartition } from '../../src/storage/types.js';
import { readAllBatches } from './regions.js';

export interface SeenRecord {
  offset: number;
  key: string | null;
  value: string | null;
  batchBase: number;
  batchLast: number;
}

/** One batch of keyed records; a value of null is a tombstone. Values default to "<key>@<offset>" once offsets are known: pass `first`. */
export function keyedBatch(entries: readonly { key: string | null; value?: string | null }[], first: number, codec: CompressionCodec = 'none', timestampMs = 1_700_000_000_000): Buffer {
  return encodeBatch({
    baseTimestamp: BigInt(timestampMs),
    compression: codec,
    records: entries.map((e, i) => ({
      key: e.key === null ? null : Buffer.from(e.key),
      value: e.value === null ? null : Buffer.from(e.value ?? `${e.key}@${first + i}`),
      timestamp: BigInt(timestampMs + i),
    })),
  });
}

/** Every record the partition holds, from its start, with the batch it sits in. */
export function allRecords(engine: StorageEngine, tp: TopicPartition): SeenRecord[] {
  const out: SeenRecord[] = [];
  for (const b of readAllBatches(engine, tp)) {
    if (!b.crcOk) throw new Error(`batch at ${b.baseOffset} fails its CRC`);
    const { header, records } = decodeBatch(b.bytes);
    for (const r of records) {
      out.push({ offset: Number(recordOffset(header, r)), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, batchBase: b.baseOffset, batchLast: b.lastOffset });
    }
  }
  return out;
}

/** The latest offset of each key among appended (key, offset) pairs. */
export function latestByKey(appended: readonly { key: string; offset: number }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const a of appended) m.set(a.key, a.offset);
  return m;
}
