// The startup scan: every batch header of a partition, from its log start,
// so that producer sequences (idempotence) and open and aborted
// transactions survive a restart. The log is the only record of either.
import { LOG_OVERHEAD_BYTES, readBatchHeader, type BatchHeader } from '../records/index.js';
import { readBytesAt } from '../storage/read-bytes.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../storage/types.js';
import { BrokerError } from './errors.js';
import type { ProducerStateTable } from './producer-state.js';
import type { Transactions } from './txn/transactions.js';

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

/** Producer sequences and transactions from the batch headers in the log, so both survive a restart. */
export function rebuildProducerState(engine: StorageEngine, tp: TopicPartition, producers: ProducerStateTable, transactions: Transactions): void {
  const key = tpKey(tp);
  scanBatches(engine, tp, (h, bytes, at) => {
    if (h.producerId >= 0n && h.baseSequence >= 0) {
      producers.record(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseOffset, h.baseOffset + BigInt(h.lastOffsetDelta), h.maxTimestamp);
    }
    transactions.onBatch(key, h, h.baseOffset, bytes, at);
  });
}
