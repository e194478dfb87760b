// What opening decides: trust the files (a clean shutdown that checks out)
// or recover (recovery.ts) from the checkpoint, or from the log's start when
// a consume queue is missing or damaged; then move each queue's start past
// its entries in deleted commit-log files.
import type { CommitLog } from './commitlog.js';
import type { Queue } from './queues.js';
import { recover, type RecoveryReport } from './recovery.js';

export interface OpenState {
  /** A .clean-shutdown marker was there. */
  clean: boolean;
  /** A live queue had no consume-queue directory. */
  missingQueue: boolean;
  /** The checkpoint's position, or null if there was no valid one. */
  checkpoint: number | null;
}

/** Recovers if the files cannot be trusted; returns true if it did. */
export function recoverLog(log: CommitLog, queues: Map<string, Queue>, s: OpenState, say: (m: string) => void): boolean {
  const defects = [...queues.values()].flatMap((q) => (q.cq.defect ? [`consume queue ${q.cq.defect}`] : []));
  for (const d of defects) say(`recovery: ${d}; rebuilding it from the commit log`);
  const damagedQueue = defects.length > 0;
  // After a clean shutdown the checkpoint is the log's end: the last file's
  // size (nothing is preallocated) must agree, and no queue may point past it.
  if (s.clean && !s.missingQueue && !damagedQueue && s.checkpoint === log.end && log.contiguous() && tailsInside(log, queues)) return false;
  let full = s.missingQueue || damagedQueue || s.checkpoint === null || s.checkpoint <= log.start || s.checkpoint > log.end;
  let from = full ? log.start : s.checkpoint!;
  let report = recover(log, queues, from, full);
  if (report.needFullScan) {
    full = true;
    from = log.start;
    report = recover(log, queues, from, full);
  }
  say(describe(log.dir, report, from, full));
  return true;
}

function describe(dir: string, r: RecoveryReport, from: number, full: boolean): string {
  const scan = `${r.entries} entries scanned from position ${from}${full ? ' (the whole log)' : ' (the checkpoint)'}`;
  const what = r.reason === 'end' ? `${scan}, all valid, log ends at ${r.endPosition}` : `${r.reason} entry: ${r.why}; kept ${scan}, truncated ${r.truncatedBytes} bytes`;
  const extra = [r.superseded > 0 ? `${r.superseded} entries superseded by a rewrite` : '', r.gaps > 0 ? `${r.gaps} queues stopped at an offset gap` : ''].filter(Boolean).join(', ');
  return `recovery: commit log ${dir}: ${what}; rebuilt ${r.rebuiltEntries} consume-queue entries in ${r.queuesTouched} queues${extra ? `; ${extra}` : ''}`;
}

/** True if every queue's last entry lies inside the log. */
function tailsInside(log: CommitLog, queues: Map<string, Queue>): boolean {
  for (const { cq } of queues.values()) {
    if (cq.nextOffset === cq.startOffset) continue;
    const e = cq.entry(cq.nextOffset - 1);
    if (e.batchBytes <= 0 || e.batchPosition + e.batchBytes > log.end) return false;
  }
  return true;
}

/** Moves each queue's start past entries pointing into deleted commit-log files (RocketMQ's min offset correction). */
export function correctHeads(log: CommitLog, queues: Map<string, Queue>): void {
  for (const { cq } of queues.values()) {
    if (cq.startOffset === cq.nextOffset) continue;
    const first = cq.entry(cq.startOffset);
    if (first.batchBytes > 0 && first.batchPosition >= log.start) continue;
    cq.dropHead(cq.firstAtOrAfter(log.start));
  }
}
