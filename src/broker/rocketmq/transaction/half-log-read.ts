// Reading records of the half topic back: one by offset (commit, check-back,
// discard) or all from an offset on (recovery).
import { decodeBatch, isControl, LOG_OVERHEAD_BYTES, readBatchHeader, recordOffset, recordTimestamp, type KafkaRecord } from '../../../records/index.js';
import { readBytesAt } from '../../../storage/read-bytes.js';
import type { StorageEngine, TopicPartition } from '../../../storage/types.js';

const STEP_BYTES = 1024 * 1024;

export interface StoredRecord {
  offset: bigint;
  timestampMs: bigint;
  record: KafkaRecord;
}

/** Calls `each` for every record from `from` to the end, in order. */
export function scanRecords(engine: StorageEngine, tp: TopicPartition, from: bigint, each: (r: StoredRecord) => void): void {
  let offset = from < engine.logStartOffset(tp) ? engine.logStartOffset(tp) : from;
  const hw = engine.highWatermark(tp);
  while (offset < hw) {
    const bytes = readBytesAt(engine, tp, offset, STEP_BYTES);
    let at = 0;
    const before = offset;
    while (at + 61 <= bytes.length) {
      const h = readBatchHeader(bytes, at);
      const size = h.batchLength + LOG_OVERHEAD_BYTES;
      if (at + size > bytes.length) break;
      if (!isControl(h.attributes)) {
        const b = decodeBatch(bytes, at);
        for (const r of b.records) {
          const o = recordOffset(b.header, r);
          if (o >= offset) each({ offset: o, timestampMs: recordTimestamp(b.header, r), record: r });
        }
      }
      offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      at += size;
    }
    if (offset === before) throw new Error(`${tp.topic}-${tp.partition}: cannot read on from offset ${offset}`);
  }
}

export function readRecord(engine: StorageEngine, tp: TopicPartition, offset: bigint): StoredRecord | null {
  if (offset < engine.logStartOffset(tp) || offset >= engine.highWatermark(tp)) return null;
  const bytes = readBytesAt(engine, tp, offset, 1);
  let at = 0;
  while (at + 61 <= bytes.length) {
    const h = readBatchHeader(bytes, at);
    const size = h.batchLength + LOG_OVERHEAD_BYTES;
    if (at + size > bytes.length) break;
    const b = decodeBatch(bytes, at);
    for (const r of b.records) if (recordOffset(b.header, r) === offset) return { offset, timestampMs: recordTimestamp(b.header, r), record: r };
    at += size;
  }
  return null;
}
