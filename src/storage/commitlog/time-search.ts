// ListOffsets by time on one queue, with the same answer as the segmented
// engine's (and Kafka's): the first record, in offset order, whose timestamp
// is >= the time. The queue's time marks (time-marks.ts) give the offset
// before which no record is that late; from there, the consume queue says
// where each batch is (the first read) and the commit log holds it (the
// second), batch by batch up to the first whose maxTimestamp reaches the
// time; its records give the answer (records/time-search.ts), or, if none
// of them does, the search goes on.
//
// Counted as every read of the engine is: consume-queue reads (a chunk of
// entries each), commit-log reads (one per batch looked at: the whole batch
// if at most WHOLE_READ_BYTES, else its header first and the whole batch
// only if it is the one) and timeSearchProbes (batches looked at, those read
// to build the marks included).
import { BATCH_HEADER_BYTES, firstRecordAtOrAfter, type RecordAtTime } from '../../records/index.js';
import { batchAt, type BatchAt } from '../batch-view.js';
import { StorageError } from '../errors.js';
import type { CommitLog } from './commitlog.js';
import { batchBytesAt, batchPositionAt, CQ_ENTRY_BYTES } from './cq-entry.js';
import type { Queue } from './queues.js';
import { countedRead, type ReadCounters } from './read-path.js';

/** Batches up to this size are read whole at once: one read where header-then-batch takes two. */
const WHOLE_READ_BYTES = 64 * 1024;
/** Consume-queue entries a search reads first: its batch is usually the first one. */
const SEARCH_ENTRIES_FIRST = 64;
/** Entries a build of the marks reads at once (80 KiB). */
const BUILD_ENTRIES = 4096;

/** Lookups are synchronous and never nest: one buffer serves them all. */
let buf = Buffer.allocUnsafe(WHOLE_READ_BYTES);

export function offsetForTime(q: Queue, log: CommitLog, timestampMs: number, counters: ReadCounters): RecordAtTime | null {
  const { cq, marks } = q;
  if (!marks.built || marks.coveredTo !== cq.nextOffset) buildMarks(q, log, counters);
  // Marks that could not be built (a queue with a hole) cannot rule out
  // anything: the search then starts at the queue's start.
  const usable = marks.built && marks.coveredTo === cq.nextOffset;
  if (usable && marks.maxTimestamp < timestampMs) return null;
  const from = Math.max(usable ? marks.before(timestampMs) : -1, cq.startOffset);
  let found: RecordAtTime | null = null;
  walk(q, log, from, counters, SEARCH_ENTRIES_FIRST, (position, bytes) => {
    const head = read(log, position, bytes <= WHOLE_READ_BYTES ? bytes : BATCH_HEADER_BYTES, counters);
    const b = header(head, position, q);
    if (b.maxTimestamp >= timestampMs) {
      const whole = head.length === bytes ? head : read(log, position, bytes, counters);
      found = firstRecordAtOrAfter(whole, 0, timestampMs);
    }
    return found === null ? b : null;
  });
  return found;
}

/**
 * The largest batch maxTimestamp of the queue, or -1. The marks hold it,
 * unless retention has since deleted the batch that set it (the marks keep
 * what they folded in): then they are built again from the queue's start,
 * once, as after a crash.
 */
export function maxTimestamp(q: Queue, log: CommitLog, counters: ReadCounters): number {
  const { cq, marks } = q;
  if (marks.built && marks.maxTimestamp >= 0 && marks.maxEnd <= cq.startOffset) marks.startAt(cq.startOffset);
  if (!marks.built || marks.coveredTo !== cq.nextOffset) buildMarks(q, log, counters);
  if (marks.built && marks.coveredTo === cq.nextOffset) return marks.maxTimestamp;
  let max = -1;
  walk(q, log, cq.startOffset, counters, BUILD_ENTRIES, (position) => {
    const b = header(read(log, position, BATCH_HEADER_BYTES, counters), position, q);
    if (b.maxTimestamp > max) max = b.maxTimestamp;
    return b;
  });
  return max;
}

/** Folds every batch the marks do not cover yet into them: one header read per batch. */
function buildMarks(q: Queue, log: CommitLog, counters: ReadCounters): void {
  const { cq, marks } = q;
  if (!marks.built || marks.coveredTo < cq.startOffset || marks.coveredTo > cq.nextOffset) marks.startAt(cq.startOffset);
  walk(q, log, marks.coveredTo, counters, BUILD_ENTRIES, (position, bytes) => {
    const b = header(read(log, position, BATCH_HEADER_BYTES, counters), position, q);
    marks.add(b.baseOffset, b.lastOffsetDelta + 1, bytes, b.maxTimestamp);
    return marks.built ? b : null; // a hole: stop, the search will not use them
  });
}

/**
 * Visits the batches from offset `from` (a batch's first) on: for each, the
 * consume-queue entry of its first offset gives its place in the commit
 * log, `visit` reads it and returns its header (or null to stop), and the
 * walk jumps to the offset after it, never looking at the entries of the
 * batch's other records. Entries are read in chunks from `firstEntries`,
 * growing 4× up to 16,384.
 */
function walk(q: Queue, log: CommitLog, from: number, counters: ReadCounters, firstEntries: number, visit: (position: number, bytes: number) => BatchAt | null): void {
  const { cq } = q;
  const next = cq.nextOffset;
  let chunk = firstEntries;
  let entries: Buffer = Buffer.alloc(0);
  let chunkStart = 0;
  for (let o = from; o < next; ) {
    if (o < chunkStart || o >= chunkStart + entries.length / CQ_ENTRY_BYTES) {
      const n = Math.min(chunk, next - o);
      const into = Buffer.allocUnsafe(n * CQ_ENTRY_BYTES);
      entries = countedRead(cq, counters, () => cq.read(o, n, into));
      chunkStart = o;
      chunk = Math.min(chunk * 4, 16 * 1024);
    }
    const at = (o - chunkStart) * CQ_ENTRY_BYTES;
    const position = batchPositionAt(entries, at);
    const bytes = batchBytesAt(entries, at);
    const f = log.fileAt(position);
    if (f === null || bytes < BATCH_HEADER_BYTES || position + bytes > f.end) {
      throw new StorageError('CORRUPT_MESSAGE', `consume queue ${cq.dir} entry for offset ${o} points at ${bytes} bytes at ${position}, outside the commit log`);
    }
    counters.timeSearchProbes++;
    const b = visit(position, bytes);
    if (b === null) return;
    if (b.baseOffset !== o) {
      throw new StorageError('CORRUPT_MESSAGE', `consume queue ${cq.dir} entry for offset ${o} points at the batch of offset ${b.baseOffset}`);
    }
    o = b.baseOffset + b.lastOffsetDelta + 1;
  }
}

function read(log: CommitLog, position: number, length: number, counters: ReadCounters): Buffer {
  if (buf.length < length) buf = Buffer.allocUnsafe(length);
  counters.commitLogReads++;
  const bytes = log.readAt(position, length, buf);
  if (bytes === null) throw new StorageError('CORRUPT_MESSAGE', `commit log ends inside the batch at ${position}`);
  return bytes;
}

function header(bytes: Buffer, position: number, q: Queue): BatchAt {
  const b = batchAt(bytes, 0);
  if (b === null) throw new StorageError('CORRUPT_MESSAGE', `consume queue ${q.cq.dir} points at no batch at ${position}`);
  return b;
}
