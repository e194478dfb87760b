// When consume-queue entries reach their files. An append keeps its
// entries in its queue's in-memory tail (cq-tail.ts), where every read
// finds them at once, and they are written in one pwrite per queue later,
// as RocketMQ's ReputMessageService dispatches them behind the commit log:
// - when the queue's tail would pass TAIL_ENTRIES (the queue's own write);
// - when the oldest tail points LAG_BYTES or more behind the log's end, or
//   all tails together would pass MAX_ENTRIES: oldest first, so neither an
//   idle queue nor many queues hold entries (memory, recovery work) for long;
// - all of them on flush, on close, and after recovery.
// An append makes these writes before it writes its commit-log entries,
// never after, so a failing one (ENOSPC) rejects the append with nothing of
// it written; whatever was written before the failure is still marked for
// syncing (the callers pass `into`).
//
// Safe because consume queues are derived: a crash loses the tails, and
// recovery rebuilds them from the commit log, scanning from the checkpoint.
// So the checkpoint may only pass a position once every consume-queue entry
// below it is in a file and synced: safePosition() is the log position of
// the oldest entry still in memory (or the log's end).
//
// Measured 2026-12-01 (this 2-core VM, 16 KiB batches, flush none, MB/s,
// medians; appends of 100 B records carry ~148 entries = 2,960 B each):
// - one pwrite per append of its entries cost ~5 µs of a ~20 µs append (raw
//   pattern: 10.3 µs per 16 KiB pwritev alone, 15.3 µs with a 2,960 B
//   pwrite to a second file after each); at 1,024 files, 4 appends' entries
//   per write saved 2.4 µs per append, 16 saved 3.5 µs;
// - TAIL_ENTRIES, 1 partition, 100 B: one write per append 697, 1,024
//   entries 802, 4,096 835, 16,384 845: 4,096 keeps most of it in 80 KiB;
// - LAG_BYTES, 1,024 partitions, 1 KiB records, 1 GiB runs: 32 MiB 957,
//   64 MiB 969, 128 MiB 975, i.e. noise; 32 MiB bounds the extra recovery
//   scan, and a 128 MiB bench run still pays for most of its writes (the
//   rest happen in close, which the bench does not time);
// - freeing every written tail's buffer (a new one grows from 1 KiB), 1,024
//   partitions, 100 B: 626 against 682 keeping them (KEEP_BUFFER_BYTES);
// - bench/storage before → after (two runs each, with the other changes of
//   that commit): 1 partition 100 B 573, 488 → 990, 1,011; 1 KiB 934, 917
//   → 1,141, 1,110; 1,024 partitions 100 B 539, 520 → 738, 745; 1 KiB 804,
//   807 → 939, 971; flush=batch, 1,024 partitions, 100 B 127, 109 → 469,
//   319 (a group commit now syncs few consume-queue files); pwrites per
//   128 MiB of 100 B records, 1 partition: 8,253 → 313.
import type { SharedFile } from '../../transfer/shared-file.js';
import type { ConsumeQueue } from './consume-queue.js';
import { CQ_ENTRY_BYTES } from './cq-entry.js';

/** Entries a queue's tail holds before the queue writes them (80 KiB). */
export const TAIL_ENTRIES = 4096;
/** The oldest tail is written once the log has grown this far past it. */
export const LAG_BYTES = 32 * 1024 * 1024;
/** Entries held in all tails together (20 MiB). */
export const MAX_ENTRIES = 1024 * 1024;
/**
 * A written tail keeps its buffer for the queue's next entries while all
 * buffers together take at most this; past it, buffers are freed as tails
 * are written (and allocated again, growing from 1 KiB, as entries come).
 */
export const KEEP_BUFFER_BYTES = 32 * 1024 * 1024;

export class CqDispatch {
  /**
   * Queues whose tails hold entries, oldest first: a queue joins when its
   * tail goes from empty to not, and appends (and recovery) push in log
   * order, so insertion order is the order of the tails' first positions.
   */
  private readonly pending = new Set<ConsumeQueue>();
  /** Entries held in all tails. */
  entries = 0;
  /** Bytes of the tails' buffers. */
  bufferBytes = 0;

  constructor(
    private readonly tailEntries = TAIL_ENTRIES,
    private readonly lagBytes = LAG_BYTES,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    for (const [name, v] of Object.entries({ tailEntries, lagBytes, maxEntries })) {
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
    }
  }

  /** Whether a tail just written may keep its buffer of `bytes` (never one grown past a full tail by a huge append). */
  mayKeep(bytes: number): boolean {
    return bytes <= 2 * this.tailEntries * CQ_ENTRY_BYTES && this.bufferBytes <= KEEP_BUFFER_BYTES;
  }

  /** Called by a queue whose tail went from empty to not. */
  joined(cq: ConsumeQueue): void {
    this.pending.add(cq);
  }

  /** Called by a queue whose tail went from not empty to empty. */
  left(cq: ConsumeQueue): void {
    this.pending.delete(cq);
  }

  /**
   * Before `count` entries go into `cq`'s tail with the log at `logEnd`:
   * writes the tails that must go first (see above), adding the files written
   * to `into` as it goes. Throws the first write's error.
   */
  makeRoom(cq: ConsumeQueue, count: number, logEnd: number, into: SharedFile[]): void {
    if (cq.tailCount > 0 && cq.tailCount + count > this.tailEntries) cq.spill(into);
    for (let oldest = this.oldest(); oldest !== undefined; oldest = this.oldest()) {
      if (oldest.tailEntryStart > logEnd - this.lagBytes && this.entries + count <= this.maxEntries) break;
      oldest.spill(into);
    }
  }

  /** Writes every tail, oldest first, adding the files written to `into`. */
  spillAll(into: SharedFile[]): void {
    for (let oldest = this.oldest(); oldest !== undefined; oldest = this.oldest()) oldest.spill(into);
  }

  /** The highest position a checkpoint may take now: no entry below it is only in memory. */
  safePosition(logEnd: number): number {
    return this.oldest()?.tailEntryStart ?? logEnd;
  }

  private oldest(): ConsumeQueue | undefined {
    for (const cq of this.pending) return cq;
    return undefined;
  }
}
