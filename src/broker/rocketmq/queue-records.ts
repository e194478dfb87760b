// A queue's records as RocketMQ consumers read them: whole batches from the
// one holding an offset, decoded (a compressed batch from a Kafka producer
// decompressed, bounded as decodeBatch bounds it); one that does not decode
// is refused with a status, not served. Kafka transactions are read as a
// read_committed Kafka consumer reads them: up to the last stable offset,
// markers and aborted transactions' records skipped.
import { BATCH_HEADER_BYTES, CommittedFilter, LOG_OVERHEAD_BYTES, decodeBatch, readBatchHeader, recordOffset, recordTimestamp, type KafkaRecord } from '../../records/index.js';
import { readBytesAt } from '../../storage/read-bytes.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../../storage/types.js';
import type { PartitionTxns } from '../txn/partition-txns.js';
import { PopError } from './pop-error.js';

export interface StoredRecord {
  offset: bigint;
  timestampMs: bigint;
  record: KafkaRecord;
}

export interface QueueRead {
  records: StoredRecord[];
  /** The offset after the last whole batch read. */
  end: bigint;
  /** Bytes per record of the last batch read (0: none). */
  bytesPerRecord: number;
  /** Log bytes read. */
  bytesRead: number;
}

/** Records from the batch holding `offset` on, up to `maxBytes` (at least that batch); `end` is the offset after the last whole batch. */
export function readQueueRecords(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, txns: PartitionTxns): QueueRead {
  const key = tpKey(tp);
  const lso = txns.lastStableOffset(key, engine.highWatermark(tp));
  if (offset >= lso) return { records: [], end: offset, bytesPerRecord: 0, bytesRead: 0 };
  const bytes = readBytesAt(engine, tp, offset, Math.max(1, maxBytes), { maxOffset: lso });
  const committed = new CommittedFilter(txns.abortedIn(key, offset, lso));
  const records: StoredRecord[] = [];
  let end = offset;
  let bytesPerRecord = 0;
  let at = 0;
  while (at + BATCH_HEADER_BYTES <= bytes.length) {
    const h = readBatchHeader(bytes, at);
    const size = h.batchLength + LOG_OVERHEAD_BYTES;
    if (at + size > bytes.length) break;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (committed.keep(h, bytes, at) && last >= offset) {
      let decoded;
      try {
        decoded = decodeBatch(bytes, at, { header: h });
      } catch (err) {
        throw new PopError('MESSAGE_CORRUPTED', `${tp.topic}-${tp.partition} offset ${h.baseOffset}: ${(err as Error).message}`);
      }
      for (const r of decoded.records) records.push({ offset: recordOffset(decoded.header, r), timestampMs: recordTimestamp(decoded.header, r), record: r });
    }
    end = last + 1n;
    at += size;
    bytesPerRecord = Math.max(1, Math.round(size / (h.lastOffsetDelta + 1)));
  }
  return { records, end, bytesPerRecord, bytesRead: bytes.length };
}
