// Recovery after an unclean shutdown: check the commit log from the last
// trusted position, cut it at the first torn or damaged entry, and make every
// consume queue match it exactly.
//
// Trusted: everything below the checkpoint (checkpoint.ts): those log bytes
// and their consume-queue entries were synced before it was written. From
// there on, nothing is taken on faith:
// 1. every queue drops its entries pointing at or past the scan start, and
//    any that is not an entry at all (a binary search: positions grow with
//    offsets, and what a machine crash can leave after the last synced
//    entry, zeros or a torn sector, sorts last too);
// 2. every entry from the scan start is checked (header CRC, batch CRC, the
//    batch's base offset against the header's) and, if it belongs to the
//    live epoch of a live queue (queue-registry.ts), its consume-queue
//    entries are appended (to the queue's in-memory tail, written to its
//    files as cq-dispatch.ts says and, at the latest, when the engine opens);
// 3. the log is cut at the first entry that fails, and files after it go.
// Consume-queue entries only ever point below the cut: step 1 removed the
// old ones and step 2 adds only checked entries before it.
//
// A queue whose next entry in the log has a higher base offset than its
// consume queue's end is missing entries below the scan start (its files were
// deleted or damaged): the caller then runs a full scan, from the log's
// start, where such a queue simply restarts at that base offset (the offsets
// before it are in deleted files). A base offset below the end means an
// entry that a failed append could not cut away was written again: the later
// one wins, as it is the one that was acknowledged.
import type { CommitLog } from './commitlog.js';
import type { ConsumeQueue } from './consume-queue.js';
import { isDefect } from './entry-format.js';
import { EntryReader } from './entry-reader.js';
import { commitLogFileName } from './commitlog-file.js';

export interface RecoveringQueue {
  key: string;
  epoch: number;
  cq: ConsumeQueue;
}

export interface RecoveryReport {
  /** True if a queue lacks entries below the scan start: scan again from the log's start. */
  needFullScan: boolean;
  entries: number;
  /** Where the valid log ends now. */
  endPosition: number;
  truncatedBytes: number;
  reason: 'end' | 'torn' | 'corrupt';
  why: string;
  rebuiltEntries: number;
  queuesTouched: number;
  superseded: number;
  gaps: number;
}

/**
 * Recovers `log` and `queues` from `scanFrom`. With `full`, scanFrom is the
 * log's start and a queue whose first entry found lies past its end restarts
 * there.
 */
export function recover(log: CommitLog, queues: Map<string, RecoveringQueue>, scanFrom: number, full: boolean): RecoveryReport {
  const report: RecoveryReport = { needFullScan: false, entries: 0, endPosition: log.end, truncatedBytes: 0, reason: 'end', why: '', rebuiltEntries: 0, queuesTouched: 0, superseded: 0, gaps: 0 };
  for (const q of queues.values()) {
    if (q.cq.defect !== null) q.cq.resetTo(0);
    else q.cq.truncateTo(firstUntrusted(q.cq, scanFrom));
  }
  const seen = new Set<string>();
  const broken = new Set<string>();
  let cut = -1;
  let prevEnd = -1;
  scan: for (const f of log.files) {
    if (f.end <= scanFrom) continue;
    if (prevEnd >= 0 && f.start !== prevEnd) {
      cut = prevEnd;
      report.reason = 'corrupt';
      report.why = `file ${commitLogFileName(f.start)} does not start where the one before ends (${prevEnd})`;
      break;
    }
    const reader = new EntryReader(f.fd, f.size);
    let pos = Math.max(0, scanFrom - f.start);
    while (pos < f.size) {
      const e = reader.at(pos);
      if (isDefect(e)) {
        cut = f.start + pos;
        report.reason = e.kind;
        report.why = `${e.why} at position ${cut} (file ${commitLogFileName(f.start)})`;
        break scan;
      }
      const h = e.header;
      const key = `${h.topic}-${h.partition}`;
      const q = queues.get(key);
      if (q !== undefined && q.epoch === h.queueEpoch && !broken.has(key)) {
        const next = q.cq.nextOffset;
        if (h.baseOffset > next) {
          if (!full) return { ...report, needFullScan: true };
          if (seen.has(key)) {
            broken.add(key); // a hole inside the log: index nothing after it
            report.gaps++;
          } else {
            q.cq.resetTo(h.baseOffset);
          }
        } else if (h.baseOffset < next) {
          q.cq.truncateTo(h.baseOffset);
          report.superseded++;
        }
        if (!broken.has(key)) {
          const at = f.start + pos;
          q.cq.dispatch.makeRoom(q.cq, e.offsetCount, at, []); // the engine syncs every file after recovery
          q.cq.push(at, at + h.headerBytes, h.entryBytes - h.headerBytes, e.offsetCount);
          report.rebuiltEntries += e.offsetCount;
          seen.add(key);
        }
      }
      report.entries++;
      pos += h.entryBytes;
    }
    prevEnd = f.end;
  }
  if (cut >= 0) {
    for (const f of log.files) if (f.end > cut) report.truncatedBytes += f.end - Math.max(f.start, cut);
    log.truncateAt(cut);
  }
  for (const q of queues.values()) q.cq.defect = null;
  report.endPosition = log.end;
  report.queuesTouched = seen.size;
  return report;
}

/**
 * The first offset of `cq` whose entry is not trusted: one pointing at or
 * past `scanFrom`, or one that is no entry (unsynced entries a machine crash
 * left as zeros or garbage: ConsumeQueue.firstAtOrAfter would take those for
 * entries before the scan start, and the power-loss test saw recovery keep
 * them, pointing outside the log).
 */
function firstUntrusted(cq: ConsumeQueue, scanFrom: number): number {
  let lo = cq.startOffset;
  let hi = cq.nextOffset;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const e = cq.entry(mid);
    if (e.batchBytes > 0 && e.batchPosition >= 0 && e.batchPosition < scanFrom) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
