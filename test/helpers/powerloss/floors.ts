// The durable floor of a crash state: per partition, the last offset that
// the synced bytes alone hold, in an unbroken prefix of the log. A log must
// come back as a prefix of what was appended, so synced bytes after a gap
// (a file whose unsynced tail may be lost, then a later file already
// synced: parallel fdatasyncs return in any order) are not promised.
// Recovery must keep at least this much, whatever the flush policy.
import { commitLogEntries, COMMITLOG_FILE, segmentBatches, SEGMENT_LOG } from './log-files.js';

export type EngineName = 'segmented' | 'commitlog';

/** The files a floor reads: the logs. */
export function isLogFile(engine: EngineName, path: string): boolean {
  return engine === 'segmented' ? SEGMENT_LOG.test(path.slice(path.lastIndexOf('/') + 1)) : COMMITLOG_FILE.test(path);
}

/** What a floor needs of one log file's synced bytes. */
export interface ParsedLog {
  /** Bytes, and bytes of valid batches (entries) from the start. */
  size: number;
  end: number;
  /** Per batch in order: partition (commitlog; the segment's otherwise), base and last offset. */
  batches: { partition: number; topic: string; baseOffset: number; lastOffset: number }[];
}

export function parseLog(engine: EngineName, path: string, data: Buffer): ParsedLog {
  if (engine === 'segmented') {
    const { batches, end } = segmentBatches(data, baseOf(path));
    return { size: data.length, end, batches: batches.map((b) => ({ partition: -1, topic: '', baseOffset: b.baseOffset, lastOffset: b.lastOffset })) };
  }
  const { entries, end } = commitLogEntries(data, baseOf(path));
  return { size: data.length, end, batches: entries.map((e) => ({ partition: e.partition, topic: e.topic, baseOffset: e.batch.baseOffset, lastOffset: e.batch.lastOffset })) };
}

/** A segment's base offset, or a commit-log file's start position: its name. */
function baseOf(path: string): number {
  return Number(path.slice(path.lastIndexOf('/') + 1, path.lastIndexOf('/') + 21));
}

/**
 * `logs`: each log file of the pessimistic state (synced bytes only);
 * `pending`: paths of files with unsynced writes begun before the cut
 * (their synced bytes may be followed by anything, so the prefix ends
 * there); `paths`: every path of that state (a commit-log queue whose
 * registry entry is not among them does not exist, whatever the log holds).
 */
export function durableFloors(engine: EngineName, topic: string, partitions: number, logs: Map<string, ParsedLog>, pending: Set<string>, paths: Set<string>): number[] {
  const floors = new Array<number>(partitions).fill(-1);
  const sorted = [...logs.keys()].sort();
  if (engine === 'segmented') {
    for (let p = 0; p < partitions; p++) {
      let next = 0;
      for (const path of sorted.filter((f) => f.startsWith(`${topic}-${p}/`))) {
        const log = logs.get(path)!;
        if (baseOf(path) !== next) break;
        next = log.batches.at(-1)?.lastOffset ?? next - 1;
        next++;
        if (log.end !== log.size || pending.has(path)) break;
      }
      floors[p] = next - 1;
    }
    return floors;
  }
  let at = 0;
  for (const path of sorted) {
    const log = logs.get(path)!;
    if (baseOf(path) !== at) break;
    for (const b of log.batches) {
      if (b.topic === topic && b.partition < partitions && b.baseOffset === floors[b.partition]! + 1) floors[b.partition] = b.lastOffset;
    }
    at += log.end;
    if (log.end !== log.size || pending.has(path)) break;
  }
  const registered = [...paths].filter((f) => f.startsWith(`queues/${topic}-`));
  return floors.map((f, p) => (registered.some((r) => r.startsWith(`queues/${topic}-${p}.`)) ? f : -1));
}
