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
import type { Queue } from './queues.js';
import { eachBatch, type ReadCounters } from './read-path.js';

/** Batches up to this size are read whole at once: one read where header-then-batch takes two. */
const WHOLE_READ_BYTES = 64 * 1024;
/** Consume-queue entries a search reads first: its batch is usually the first one. */
const SEARCH_ENTRIES_FIRST = 64;

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
  eachBatch(cq, log, from, counters, SEARCH_ENTRIES_FIRST, (offset, position, bytes) => {
    counters.timeSearchProbes++;
    const head = read(log, position, bytes <= WHOLE_READ_BYTES ? bytes : BATCH_HEADER_BYTES, counters);
    const b = checked(head, offset, q);
    if (b.maxTimestamp < timestampMs) return false;
    const whole = head.length === bytes ? head : read(log, position, bytes, counters);
    found = firstRecordAtOrAfter(whole, 0, timestampMs);
    return found !== null;
  });
  return found;
}

/** Folds every batch the marks do not cover yet into them: one header read per batch. */
function buildMarks(q: Queue, log: CommitLog, counters: ReadCounters): void {
  const { cq, marks } = q;
  if (!marks.built || marks.coveredTo < cq.startOffset || marks.coveredTo > cq.nextOffset) marks.startAt(cq.startOffset);
  eachBatch(cq, log, marks.coveredTo, counters, undefined, (offset, position, bytes) => {
    counters.timeSearchProbes++;
    const b = checked(read(log, position, BATCH_HEADER_BYTES, counters), offset, q);
    marks.add(b.baseOffset, b.lastOffsetDelta + 1, bytes, b.maxTimestamp);
    return !marks.built; // a hole: stop, the search will not use them
  });
}

function read(log: CommitLog, position: number, length: number, counters: ReadCounters): Buffer {
  if (buf.length < length) buf = Buffer.allocUnsafe(length);
  counters.commitLogReads++;
  const bytes = log.readAt(position, length, buf);
  if (bytes === null) throw new StorageError('CORRUPT_MESSAGE', `commit log ends inside the batch at ${position}`);
  return bytes;
}

/** The header of the batch the consume queue says holds `offset`, if it does. */
function checked(bytes: Buffer, offset: number, q: Queue): BatchAt {
  const b = batchAt(bytes, 0);
  if (b === null || b.baseOffset > offset || b.baseOffset + b.lastOffsetDelta < offset) {
    throw new StorageError('CORRUPT_MESSAGE', `consume queue ${q.cq.dir} entry for offset ${offset} does not point at its batch`);
  }
  return b;
}
