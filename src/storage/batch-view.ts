// The record-batch header fields the storage engines need, read through the
// record codec (src/records), with the batch's whole size and whether all of
// its bytes are in the buffer.
import { batchCrcValid, BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC_V2, readBatchHeader } from '../records/index.js';

export interface BatchAt {
  /** Where the batch starts in the buffer it was read from. */
  at: number;
  baseOffset: number;
  /** Whole batch bytes, batchLength + 12. */
  size: number;
  magic: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  recordCount: number;
  /** -1 unless an idempotent or transactional producer wrote it. */
  producerId: bigint;
  /** The buffer, when the whole batch is in it (for CRC checks). */
  bytes: Buffer | null;
}

/** The header of the batch at `at`, or null if too few bytes for one. */
export function batchAt(buf: Buffer, at: number): BatchAt | null {
  if (buf.length - at < BATCH_HEADER_BYTES) return null;
  const h = readBatchHeader(buf, at);
  const size = h.batchLength + LOG_OVERHEAD_BYTES;
  return {
    at,
    baseOffset: Number(h.baseOffset),
    size,
    magic: h.magic,
    lastOffsetDelta: h.lastOffsetDelta,
    maxTimestamp: Number(h.maxTimestamp),
    recordCount: h.recordCount,
    producerId: h.producerId,
    bytes: buf.length - at >= size ? buf : null,
  };
}

/** True if the batch's bytes are all present, it is v2, and its CRC-32C matches. */
export function batchCrcOk(b: BatchAt): boolean {
  return b.bytes !== null && b.size >= BATCH_HEADER_BYTES && b.magic === MAGIC_V2 && batchCrcValid(b.bytes, b.at);
}
