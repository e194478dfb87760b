// An append: the entries go to the commit log, then one consume-queue entry
// per offset to the queue. All or nothing: if either write fails (ENOSPC,
// EFBIG, …), both are cut back to where they were, so no reader and no
// recovery sees any of it. The commit log's write comes first because the
// consume queue points into it: a crash between the two leaves entries that
// recovery indexes, never an index entry with nothing behind it.
import { StorageError } from '../errors.js';
import type { PreparedAppend } from '../prepare-append.js';
import type { CommitLog, EntryBytes } from './commitlog.js';
import { CQ_ENTRY_BYTES, writeCqEntries } from './cq-entry.js';
import { encodeEntryHeader } from './entry-format.js';
import type { Queue } from './queues.js';

export interface Written {
  logFds: number[];
  queueFds: number[];
}

/** Writes a prepared append (base offsets assigned in `bytes`) for queue `q`. */
export function appendEntries(log: CommitLog, q: Queue, bytes: Buffer, prepared: PreparedAppend, nowMs: number): Written {
  const entries: EntryBytes[] = prepared.batches.map((b) => ({
    header: encodeEntryHeader(
      { storeTimestampMs: nowMs, queueEpoch: q.epoch, partition: q.tp.partition, baseOffset: b.baseOffset, recordCount: b.recordCount, topic: q.tp.topic },
      b.size,
    ),
    batch: bytes.subarray(b.at, b.at + b.size),
  }));
  const offsets = prepared.nextOffset - prepared.batches[0]!.baseOffset;
  const logMark = log.mark();
  const queueMark = q.cq.mark();
  let stage = 'commit log';
  try {
    const { positions, fds: logFds } = log.append(entries, nowMs); // cuts itself back on failure
    stage = `consume queue ${q.cq.dir}`;
    try {
      const cqBytes = Buffer.allocUnsafe(offsets * CQ_ENTRY_BYTES);
      let at = 0;
      prepared.batches.forEach((b, i) => {
        writeCqEntries(cqBytes, at * CQ_ENTRY_BYTES, positions[i]!, b.size, b.lastOffsetDelta + 1);
        at += b.lastOffsetDelta + 1;
      });
      return { logFds, queueFds: q.cq.append(cqBytes, offsets) };
    } catch (err) {
      q.cq.rollBack(queueMark);
      log.rollBack(logMark);
      throw err;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StorageError('KAFKA_STORAGE_ERROR', `append to ${q.key} failed writing the ${stage}: ${e.code ?? e.message}`, { cause: err });
  }
}
