// The startup scan: every batch header of a partition, from its log start,
// so that producer sequences (idempotence) and open and aborted
// transactions survive a restart. The log is the only record of either.
import { LOG_OVERHEAD_BYTES, readBatchHeader, type BatchHeader } from '../records/index.js';
import { readBytesAt } from '../storage/read-bytes.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../storage/types.js';
import { BrokerError } from './errors.js';

const READ_BYTES = 4 * 1024 * 1024;
const BATCH_HEADER_MIN = 61;

/** Calls `batch` for each batch of the partition in offset order, with the bytes that hold it. */
export function scanBatches(engine: StorageEngine, tp: TopicPartition, batch: (h: BatchHeader, bytes: Buffer, at: number) => void): void {
  let offset = engine.logStartOffset(tp);
  const hw = engine.highWatermark(tp);
  while (offset < hw) {
    const bytes = readBytesAt(engine, tp, offset, READ_BYTES);
    let at = 0;
    let next = offset;
    while (at + BATCH_HEADER_MIN <= bytes.length) {
      const h = readBatchHeader(bytes, at);
      const size = h.batchLength + LOG_OVERHEAD_BYTES;
      if (at + size > bytes.length) break;
      batch(h, bytes, at);
      next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      at += size;
    }
    if (next === offset) throw new BrokerError('KAFKA_STORAGE_ERROR', `${tpKey(tp)}: cannot read on from offset ${offset}`);
    offset = next;
  }
}
