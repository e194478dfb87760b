// Whether a segment that recovery does not scan whole (every segment after
// a clean shutdown, every one but the last after a crash) can be taken as
// it is. Its .index and .timeindex are never synced (they are derived, and
// are written at a roll, a flush and a close), and after a machine crash
// under flush=none or interval neither is the end of its log: the power-loss
// test (test/storage-powerloss.test.ts) found lookups answering from zeroed
// or torn index entries, and torn batches served from older segments. So
// before trusting a segment we check, cheaply:
// - the offset index: entries strictly increasing and inside the log (in
//   memory, already loaded);
// - the log's tail, from the last index entry to the end: whole batches,
//   offsets running on from that entry's offset, and after a crash valid
//   CRCs (what trust() reads anyway: at most the index interval plus a
//   batch);
// - the time index: timestamps strictly increasing, offsets not going back
//   and inside the segment, and its last entry naming a batch with that max
//   timestamp.
// Damage anywhere else (a hole in the middle of unsynced bytes, which a
// disk writing back pages out of order can leave) is not seen here; a
// recovery point, as Kafka keeps, would bound a full check instead.
import { readFileSync } from 'node:fs';
import { batchCrcOk, type BatchAt } from '../batch-view.js';
import { BatchReader } from './batch-reader.js';
import { TIME_ENTRY_BYTES, type OffsetIndex } from './sparse-index.js';

/** What the check reads of a segment. */
export interface CheckedSegment {
  readonly fd: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly index: OffsetIndex;
  /** A cleaned segment: offsets rise but may skip (compaction removed records). */
  readonly allowGaps: boolean;
}

/**
 * Why the segment's files cannot be taken as they are, or null if they can.
 * `crcTail` after a crash only: after a clean shutdown the log was synced
 * before the marker was written, and a bit flipped since is for a verified
 * read to report, not for opening to cut away with everything after it.
 */
export function segmentDefect(seg: CheckedSegment, timeIndexPath: string, crcTail: boolean): string | null {
  const { index } = seg;
  for (let i = 0; i < index.entryCount; i++) {
    const rel = index.relativeOffsetAt(i);
    const pos = index.positionAt(i);
    if (pos >= seg.size) return `index entry ${i} points at byte ${pos}, past the log's ${seg.size}`;
    if (i > 0 && (rel <= index.relativeOffsetAt(i - 1) || pos <= index.positionAt(i - 1))) return `index entry ${i} (${rel}, ${pos}) does not follow the one before`;
  }
  const reader = new BatchReader(seg.fd, seg.size);
  const last = index.entryCount - 1;
  let pos = last < 0 ? 0 : index.positionAt(last);
  let next = seg.baseOffset + (last < 0 ? 0 : index.relativeOffsetAt(last));
  while (pos < seg.size) {
    const b = reader.at(pos, crcTail);
    if (b === null || (crcTail && !batchCrcOk(b))) return `the batch at byte ${pos} is torn or corrupt`;
    if (seg.allowGaps ? b.baseOffset < next : b.baseOffset !== next) return `the batch at byte ${pos} has base offset ${b.baseOffset}, expected ${seg.allowGaps ? 'at least ' : ''}${next}`;
    next = b.baseOffset + b.lastOffsetDelta + 1;
    pos += b.size;
  }
  return timeIndexDefect(seg, reader, readFileSync(timeIndexPath), next);
}

function timeIndexDefect(seg: CheckedSegment, reader: BatchReader, bytes: Buffer, nextOffset: number): string | null {
  const n = Math.floor(bytes.length / TIME_ENTRY_BYTES);
  let ts = -Infinity;
  let rel = 0;
  for (let i = 0; i < n; i++) {
    const t = Number(bytes.readBigInt64BE(i * TIME_ENTRY_BYTES));
    const r = bytes.readUInt32BE(i * TIME_ENTRY_BYTES + 8);
    if (t <= ts || r < rel || seg.baseOffset + r >= nextOffset) return `time index entry ${i} (${t}, ${r}) does not follow the one before or lies past the log`;
    ts = t;
    rel = r;
  }
  if (n === 0) return null;
  const b = batchAtOffset(seg, reader, seg.baseOffset + rel);
  return b !== null && b.maxTimestamp === ts ? null : `time index entry ${n - 1} (${ts}, ${rel}) does not name a batch with that max timestamp`;
}

/** The batch whose base offset is `offset`, found from the offset index, or null. */
function batchAtOffset(seg: CheckedSegment, reader: BatchReader, offset: number): BatchAt | null {
  const i = seg.index.floor(offset - seg.baseOffset);
  let pos = i < 0 ? 0 : seg.index.positionAt(i);
  for (let b = reader.at(pos, false); b !== null && b.baseOffset <= offset; b = reader.at(pos, false)) {
    if (b.baseOffset === offset) return b;
    pos += b.size;
  }
  return null;
}
