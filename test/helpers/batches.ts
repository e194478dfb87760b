// Record batches for storage tests, built with the project's record codec.
import { encodeBatch } from '../../src/records/index.js';

export interface TestRecord {
  key?: string | null;
  value: string | Buffer;
  timestampMs?: number;
}

/** One uncompressed v2 batch of `records` (base offset 0; the log assigns it). */
export function batchOf(records: TestRecord[], baseTimestampMs = 1_700_000_000_000): Buffer {
  return encodeBatch({
    baseTimestamp: BigInt(baseTimestampMs),
    records: records.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
      headers: [],
      timestamp: BigInt(r.timestampMs ?? baseTimestampMs),
    })),
  });
}

/** A batch of `count` records whose values are "<prefix>-<i>". */
export function numberedBatch(prefix: string, count: number, timestampMs?: number): Buffer {
  return batchOf(Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}` })), timestampMs);
}
