// Reading a queue: the consume queue says where its batches are (first
// read), the commit log holds them (second read). A plain read does the first
// with pread, and past its first 512 entries through the consume-queue
// file's mapping (looking only at the first entry of each batch and a few
// around it: ConsumeQueue.view), and hands out the second as file
// regions for the transfer strategy to send; a verified read preads every
// batch and checks it.
//
// Each batch is its own region: the batches of one queue are never adjacent
// in the commit log (an entry header always lies between two of them), so
// there is nothing to merge, and a read of n batches costs the transfer n
// sends where the segmented engine's costs one.
import { BATCH_HEADER_BYTES } from '../../records/index.js';
import type { FileRegion } from '../../transfer/types.js';
import { batchAt, batchCrcOk } from '../batch-view.js';
import { StorageError } from '../errors.js';
import type { CommitLog } from './commitlog.js';
import type { ConsumeQueue } from './consume-queue.js';
import { batchBytesAt, batchPositionAt, CQ_ENTRY_BYTES } from './cq-entry.js';

/** Consume-queue entries looked at first, and most at once (the chunk grows 4× per view). */
const READ_ENTRIES_FIRST = 512;
const READ_ENTRIES_MAX = 16 * 1024;
/** The first chunk's entries, copied here: used within one synchronous read only. */
const firstChunk = Buffer.allocUnsafe(READ_ENTRIES_FIRST * CQ_ENTRY_BYTES);

export interface ReadCounters {
  /** preads of consume-queue files. */
  consumeQueueReads: number;
  /** Consume-queue reads served from a queue's in-memory tail (a copy, no syscall). */
  consumeQueueTailReads: number;
  /** Commit-log reads: regions handed out, batches read to verify, batches and headers read by time lookups. */
  commitLogReads: number;
  /** Batches a time lookup looked at (time-search.ts), building a queue's time marks included. */
  timeSearchProbes: number;
}

export function newReadCounters(): ReadCounters {
  return { consumeQueueReads: 0, consumeQueueTailReads: 0, commitLogReads: 0, timeSearchProbes: 0 };
}

/**
 * Regions of the batches from the one holding `offset` (in [start, next)):
 * the first whole whatever its size, then whole batches while the total
 * stays within maxBytes (Kafka's fetch rule), none starting at or past
 * `end` (a batch boundary: the last stable offset).
 */
export function readBatches(cq: ConsumeQueue, log: CommitLog, offset: number, maxBytes: number, counters: ReadCounters, end = cq.nextOffset): FileRegion[] {
  const regions: FileRegion[] = [];
  const next = Math.min(end, cq.nextOffset);
  let chunk = READ_ENTRIES_FIRST;
  let total = 0;
  let lastPosition = -1;
  let perBatch = 0; // entries in the last batch skipped: a producer's batches are mostly alike
  for (let o = offset; o < next; ) {
    const want = Math.min(chunk, next - o);
    // The first chunk copied (most reads end in it); past it, the file's
    // mapping: a window per file stays mapped (map_cache.h, 64 at most), so
    // it is kept for the long reads that gain from not copying every entry.
    const entries = countedRead(cq, counters, () => (chunk === READ_ENTRIES_FIRST ? cq.read(o, want, firstChunk) : cq.view(o, want)));
    const n = entries.length / CQ_ENTRY_BYTES;
    if (!(n >= 1 && Number.isInteger(n))) throw new StorageError('CORRUPT_MESSAGE', `consume queue ${cq.dir}: no whole entry at offset ${o}`);
    for (let at = 0; at < entries.length; ) {
      const position = batchPositionAt(entries, at);
      // A chunk may begin inside the batch the last one ended in: that batch is handed out already.
      if (position !== lastPosition) {
        const size = batchBytesAt(entries, at);
        if (regions.length > 0 && total + size > maxBytes) return regions;
        const f = log.fileAt(position);
        if (f === null || size < BATCH_HEADER_BYTES || position + size > f.end) {
          throw new StorageError('CORRUPT_MESSAGE', `consume queue ${cq.dir} entry for offset ${o + at / CQ_ENTRY_BYTES} points at ${size} bytes at ${position}, outside the commit log`);
        }
        // A queue's batches follow one another in the log: an entry behind the one before is damage, not data.
        if (position < lastPosition) {
          throw new StorageError('CORRUPT_MESSAGE', `consume queue ${cq.dir} entry for offset ${o + at / CQ_ENTRY_BYTES} points at position ${position}, behind the entry before it (${lastPosition})`);
        }
        regions.push({ file: f.file, position: position - f.start, length: size });
        total += size;
        lastPosition = position;
      }
      const end = pastBatch(entries, at, position, perBatch); // the rest of the batch's records, skipped
      perBatch = (end - at) / CQ_ENTRY_BYTES;
      at = end;
    }
    o += n;
    if (chunk < READ_ENTRIES_MAX) chunk *= 4;
  }
  return regions;
}

/**
 * Where the entries of the batch at `position` (the entry at `at` one of
 * them) end in `entries`: a batch's records hold one entry each, all with
 * its position, and positions only grow. So the end is where `guess`
 * entries on from `at` says, if the entry before it is the batch's and the
 * one there is not (two looks: a producer's batches mostly hold as many
 * records as the one before); else it is found by galloping then halving,
 * not by reading each entry (a 16 KiB batch of 100-byte records has about
 * 150).
 */
export function pastBatch(entries: Buffer, at: number, position: number, guess = 0): number {
  const count = entries.length / CQ_ENTRY_BYTES;
  const first = at / CQ_ENTRY_BYTES;
  if (guess > 0 && first + guess <= count) {
    const end = first + guess;
    if (batchPositionAt(entries, (end - 1) * CQ_ENTRY_BYTES) === position && (end === count || batchPositionAt(entries, end * CQ_ENTRY_BYTES) !== position)) return end * CQ_ENTRY_BYTES;
  }
  let same = first; // an entry of the batch
  let step = 1;
  let other = count; // the first entry known not to be (or the end)
  while (same + step < count) {
    if (batchPositionAt(entries, (same + step) * CQ_ENTRY_BYTES) !== position) {
      other = same + step;
      break;
    }
    same += step;
    step *= 2;
  }
  while (other - same > 1) {
    const mid = (same + other) >>> 1;
    if (batchPositionAt(entries, mid * CQ_ENTRY_BYTES) === position) same = mid;
    else other = mid;
  }
  return other * CQ_ENTRY_BYTES;
}

/**
 * Reads each region's batch back and checks it: CRC, and offsets running on
 * from the batch holding `offset` without a gap (the base offset lies
 * outside the CRC). Throws CORRUPT_MESSAGE rather than serve damage.
 */
export function verifyBatches(regions: readonly FileRegion[], log: CommitLog, offset: number, counters: ReadCounters): void {
  let buf = Buffer.allocUnsafe(64 * 1024);
  let expected = -1;
  for (const r of regions) {
    const f = log.files.find((x) => x.file === r.file)!;
    if (buf.length < r.length) buf = Buffer.allocUnsafe(r.length);
    const bytes = log.readAt(f.start + r.position, r.length, buf);
    counters.commitLogReads++;
    const where = `batch at position ${f.start + r.position} of the commit log`;
    const b = bytes === null ? null : batchAt(bytes, 0);
    if (b === null || b.size !== r.length) throw new StorageError('CORRUPT_MESSAGE', `corrupt ${where}: its length does not match the consume queue's`);
    if (!batchCrcOk(b)) throw new StorageError('CORRUPT_MESSAGE', `corrupt ${where}: CRC mismatch`);
    const ok = expected < 0 ? b.baseOffset <= offset && offset <= b.baseOffset + b.lastOffsetDelta : b.baseOffset === expected;
    if (!ok) throw new StorageError('CORRUPT_MESSAGE', `corrupt ${where}: base offset ${b.baseOffset}, expected ${expected < 0 ? `one holding ${offset}` : expected}`);
    expected = b.baseOffset + b.lastOffsetDelta + 1;
  }
}

/** Runs a consume-queue read, adding what it did to the counters. */
export function countedRead<T>(cq: ConsumeQueue, counters: ReadCounters, read: () => T): T {
  const reads = cq.reads;
  const tailReads = cq.tailReads;
  const out = read();
  counters.consumeQueueReads += cq.reads - reads;
  counters.consumeQueueTailReads += cq.tailReads - tailReads;
  return out;
}
