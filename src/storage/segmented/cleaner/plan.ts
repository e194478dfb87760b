// Whether a compacted partition needs cleaning now, and which part, as
// Kafka's LogCleanerManager decides it:
// - the cleanable part ends at the active segment, or earlier at the first
//   segment holding a record newer than min.compaction.lag.ms;
// - the dirty section runs from the checkpoint (the first offset the last
//   cleaning did not map) to there; the clean section is before it;
// - it is cleaned when dirty bytes / (clean + dirty) reach
//   min.cleanable.dirty.ratio, or when the dirty section's first batch is
//   older than max.compaction.lag.ms, or when a kept tombstone's delete
//   horizon has passed (KIP-534: otherwise a quiet log would keep it).
import type { CompactionPolicy } from '../../types.js';
import { BatchReader } from '../batch-reader.js';
import type { PartitionLog } from '../partition-log.js';
import type { LogSegment } from '../segment.js';
import type { CleanerCheckpoint } from './checkpoint.js';

export type CleanReason = 'dirty-ratio' | 'max-compaction-lag' | 'delete-horizon';

export interface CleanPlan {
  /** Closed segments that may be cleaned (rewritten), oldest first. */
  segments: LogSegment[];
  /** Where mapping starts. */
  firstDirty: number;
  /** Where the cleanable part ends (a segment's base offset). */
  firstUncleanable: number;
  dirtyBytes: number;
  cleanBytes: number;
  ratio: number;
  reason: CleanReason;
}

export function planCleaning(log: PartitionLog, policy: CompactionPolicy, checkpoint: CleanerCheckpoint, nowMs: number): CleanPlan | null {
  const closed = log.closedSegments();
  if (closed.length === 0) return null;
  const start = log.logStartOffset;
  // A checkpoint below the start (retention, DeleteRecords) or past the end
  // (a machine crash lost the tail it was written for) starts over.
  let firstDirty = checkpoint.firstDirty;
  if (firstDirty < start || firstDirty > log.nextOffset) firstDirty = start;
  let firstUncleanable = log.active.baseOffset;
  if (policy.minCompactionLagMs > 0) {
    const young = closed.find((s) => s.nextOffset > firstDirty && s.maxTimestamp > nowMs - policy.minCompactionLagMs);
    if (young) firstUncleanable = young.baseOffset;
  }
  const segments = closed.filter((s) => s.baseOffset < firstUncleanable);
  if (segments.length === 0) return null;
  let dirtyBytes = 0;
  let cleanBytes = 0;
  const dirty: LogSegment[] = [];
  for (const s of segments) {
    if (s.nextOffset <= firstDirty) cleanBytes += s.size;
    else {
      dirtyBytes += s.size;
      dirty.push(s);
    }
  }
  const ratio = dirtyBytes + cleanBytes === 0 ? 0 : dirtyBytes / (dirtyBytes + cleanBytes);
  let reason: CleanReason | null = null;
  if (dirty.length > 0 && ratio >= policy.minCleanableDirtyRatio) reason = 'dirty-ratio';
  else if (dirty.length > 0 && policy.maxCompactionLagMs >= 0 && earliestFirstBatch(dirty) < nowMs - policy.maxCompactionLagMs) reason = 'max-compaction-lag';
  else if (checkpoint.nextHorizonMs !== null && checkpoint.nextHorizonMs <= nowMs) reason = 'delete-horizon';
  if (reason === null) return null;
  return { segments, firstDirty, firstUncleanable, dirtyBytes, cleanBytes, ratio, reason };
}

/** The earliest of the segments' first batches' max timestamps (Kafka's getFirstBatchTimestampForSegments): one header read each. */
function earliestFirstBatch(segments: readonly LogSegment[]): number {
  let earliest = Infinity;
  for (const s of segments) {
    const b = new BatchReader(s.fd, s.size).at(0, false);
    if (b !== null && b.maxTimestamp < earliest) earliest = b.maxTimestamp;
  }
  return earliest;
}
