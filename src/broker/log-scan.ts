// The startup scan: every batch header of a partition, from its log start,
// so that producer sequences (idempotence) and open and aborted
// transactions survive a restart. The log is the only record of either.
// The log's files are mapped, not read: a header is 61 bytes of a batch of
// kilobytes, and reading the whole log into memory to find them cost most
// of a restart's time (README, "At scale").
import { mapFile, unmapFile } from '../native/mapping.js';
import { LOG_OVERHEAD_BYTES, readBatchHeader, type BatchHeader } from '../records/index.js';
import { releaseRegions } from '../transfer/shared-file.js';
import type { FileRegion } from '../transfer/types.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../storage/types.js';
import { BrokerError } from './errors.js';
import type { ProducerStateTable } from './producer-state.js';
import type { Transactions } from './txn/transactions.js';

const READ_BYTES = 4 * 1024 * 1024;
const BATCH_HEADER_MIN = 61;

/** Mappings start at a multiple of this: of every page size Linux uses (4, 16 or 64 KiB). */
const MAP_ALIGN = 64 * 1024;

/**
 * Calls `batch` for each batch of the partition in offset order, with bytes
 * that hold it: a view of the mapped file, valid only during the call.
 */
export function scanBatches(engine: StorageEngine, tp: TopicPartition, batch: (h: BatchHeader, bytes: Buffer, at: number) => void, from = 0n): void {
  const start = engine.logStartOffset(tp);
  let offset = from > start ? from : start;
  const hw = engine.highWatermark(tp);
  while (offset < hw) {
    const { regions } = engine.read(tp, offset, READ_BYTES);
    let next = offset;
    try {
      next = scanRegions(regions, offset, batch);
    } finally {
      releaseRegions(regions);
    }
    if (next === offset) throw new BrokerError('KAFKA_STORAGE_ERROR', `${tpKey(tp)}: cannot read on from offset ${offset}`);
    offset = next;
  }
}

/**
 * The batches of a read's regions, in order, each file's span mapped once;
 * returns the offset after the last whole batch. A region ends at a batch's
 * end, except the read's last, which may end inside one: the next read
 * starts there.
 */
function scanRegions(regions: readonly FileRegion[], from: bigint, batch: (h: BatchHeader, bytes: Buffer, at: number) => void): bigint {
  let next = from;
  let i = 0;
  while (i < regions.length) {
    // The regions of one file that follow each other in the read: one mapping.
    const file = regions[i]!.file;
    let j = i;
    let lo = Infinity;
    let hi = 0;
    while (j < regions.length && regions[j]!.file === file) {
      lo = Math.min(lo, regions[j]!.position);
      hi = Math.max(hi, regions[j]!.position + regions[j]!.length);
      j++;
    }
    if (hi <= lo) {
      i = j;
      continue;
    }
    const base = lo - (lo % MAP_ALIGN);
    const mapping = mapFile(file.fd, base, hi - base);
    try {
      const bytes = Buffer.from(mapping);
      for (let k = i; k < j; k++) {
        const r = regions[k]!;
        let at = r.position - base;
        const end = at + r.length;
        while (at + BATCH_HEADER_MIN <= end) {
          const h = readBatchHeader(bytes, at);
          const size = h.batchLength + LOG_OVERHEAD_BYTES;
          if (size < BATCH_HEADER_MIN || at + size > end) return next;
          batch(h, bytes.subarray(0, at + size), at);
          next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          at += size;
        }
        if (at !== end) return next;
      }
    } finally {
      unmapFile(mapping);
    }
    i = j;
  }
  return next;
}

/**
 * Producer sequences and transactions from the batch headers in the log,
 * so both survive a restart: from `from` on, where a snapshot
 * (producer-snapshots.ts) holds the state of the batches before it.
 */
export function rebuildProducerState(engine: StorageEngine, tp: TopicPartition, producers: ProducerStateTable, transactions: Transactions, from = 0n): void {
  const key = tpKey(tp);
  scanBatches(engine, tp, (h, bytes, at) => {
    // A read starts at the batch holding its offset: one that ends before `from` is the snapshot's already.
    if (h.baseOffset + BigInt(h.lastOffsetDelta) < from) return;
    if (h.producerId >= 0n && h.baseSequence >= 0) {
      producers.record(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseOffset, h.baseOffset + BigInt(h.lastOffsetDelta), h.maxTimestamp);
    }
    transactions.onBatch(key, h, h.baseOffset, bytes, at);
  }, from);
}
