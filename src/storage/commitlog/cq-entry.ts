// A consume-queue entry: where in the commit log the record with this queue
// offset lives. One entry per offset (not per batch), all the same size, so
// the entry for offset o sits at byte (o - firstOffset) * CQ_ENTRY_BYTES of
// its queue: one multiplication, as in RocketMQ. Every offset of a batch gets
// the same position and size, so a reader collapses a run of equal entries
// into one region. Big-endian.
//
//   byte 0 ┌──────────────────────────────┐
//          │ batchPosition        int64   │  global commit-log position of the batch
//        8 ├──────────────────────────────┤  (its first byte, after the entry header)
//          │ batchBytes           int32   │  the whole batch
//       12 ├──────────────────────────────┤
//          │ tagsCode             int64   │  RocketMQ's tag code (tag-code.ts); 0: not known
//       20 └──────────────────────────────┘
//
// RocketMQ stores the message's own position (the entry header's); storing
// the batch's saves the fetch path a header read, since it hands out only
// batch bytes. An entry of all zeros is never valid (batchBytes 0): that is
// what a hole in a file reads as.
import { readInt64Number, writeInt64Number } from '../../records/int64.js';

export const CQ_ENTRY_BYTES = 20;
export const CQ_BATCH_POSITION_AT = 0;
export const CQ_BATCH_BYTES_AT = 8;
export const CQ_TAGS_CODE_AT = 12;

export interface CqEntry {
  batchPosition: number;
  batchBytes: number;
}

/**
 * `count` identical entries for one batch, written into `buf` at `at`: the
 * first field by field, the rest copied from it, doubling. Measured
 * (2026-12-01, node 20): 148 entries (a 16 KiB batch of 100 B records) in
 * 0.26 µs, where five writeUInt32BE calls per entry took 6.9 µs: with them
 * gone, the bench's 1-partition append of such batches went from 545 to
 * 778 MB/s.
 */
export function writeCqEntries(buf: Buffer, at: number, batchPosition: number, batchBytes: number, count: number): void {
  writeInt64Number(buf, at + CQ_BATCH_POSITION_AT, batchPosition);
  buf.writeInt32BE(batchBytes, at + CQ_BATCH_BYTES_AT);
  buf.writeUInt32BE(0, at + CQ_TAGS_CODE_AT);
  buf.writeUInt32BE(0, at + CQ_TAGS_CODE_AT + 4);
  for (let done = 1; done < count; ) {
    const n = Math.min(done, count - done);
    buf.copyWithin(at + done * CQ_ENTRY_BYTES, at, at + n * CQ_ENTRY_BYTES);
    done += n;
  }
}

export function batchPositionAt(buf: Buffer, at: number): number {
  return readInt64Number(buf, at + CQ_BATCH_POSITION_AT);
}

export function batchBytesAt(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + CQ_BATCH_BYTES_AT);
}

export function tagsCodeAt(buf: Buffer, at: number): bigint {
  return buf.readBigInt64BE(at + CQ_TAGS_CODE_AT);
}

export function readCqEntry(buf: Buffer, at: number): CqEntry {
  return { batchPosition: batchPositionAt(buf, at), batchBytes: batchBytesAt(buf, at) };
}
