// An append: the entries go to the commit log, then one consume-queue entry
// per offset into the queue's in-memory tail, which later goes to its file
// in one write with others (cq-dispatch.ts). All or nothing: the only disk
// writes that can fail are the tails written first to make room (an error
// there rejects the append before the log is touched) and the log's own
// (which cuts itself back), so no reader and no recovery sees any of a
// rejected append. The commit log is written before its entries reach the
// queue because the consume queue points into it: a crash leaves entries
// that recovery indexes, never an index entry with nothing behind it.
import type { SharedFile } from '../../transfer/shared-file.js';
import { StorageError } from '../errors.js';
import type { PreparedAppend } from '../prepare-append.js';
import type { CommitLog, EntryBytes } from './commitlog.js';
import type { Queue } from './queues.js';

/**
 * Writes a prepared append (base offsets assigned in `bytes`) for queue `q`;
 * returns the commit-log files written. Consume-queue files written (tails
 * making room) go to `queueFds`, also when it throws: they need syncing.
 */
export function appendEntries(log: CommitLog, q: Queue, bytes: Buffer, prepared: PreparedAppend, nowMs: number, queueFds: SharedFile[], tagCodes?: BigInt64Array): SharedFile[] {
  // The first header may use the queue's reusable buffer: the log writes it before returning.
  const entries: EntryBytes[] = prepared.batches.map((b, i) => ({
    header: q.headers.encode(nowMs, b.baseOffset, b.recordCount, b.size, i > 0),
    batch: bytes.subarray(b.at, b.at + b.size),
  }));
  const first = prepared.batches[0]!.baseOffset;
  const offsets = prepared.nextOffset - first;
  // Codes that do not cover the append exactly are not trusted: the entries say "not known".
  const codes = tagCodes?.length === offsets ? tagCodes : undefined;
  let stage = 'consume queues';
  try {
    q.cq.dispatch.makeRoom(q.cq, offsets, log.end, queueFds);
    stage = 'commit log';
    const { positions, fds } = log.append(entries, nowMs); // cuts itself back on failure
    prepared.batches.forEach((b, i) => {
      const n = b.lastOffsetDelta + 1;
      q.cq.push(positions[i]! - entries[i]!.header.length, positions[i]!, b.size, n, codes?.subarray(b.baseOffset - first, b.baseOffset - first + n));
      q.marks.add(b.baseOffset, b.lastOffsetDelta + 1, b.size, b.maxTimestamp);
    });
    return fds;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StorageError('KAFKA_STORAGE_ERROR', `append to ${q.key} failed writing the ${stage}: ${e.code ?? e.message}`, { cause: err });
  }
}
