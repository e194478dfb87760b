// Putting a cleaned segment in place of the segments it was made from, so
// that a SIGKILL (or a power cut) at any point leaves either the old
// segments or the new one, never a mix, and never nothing. As Kafka's
// LogCleaner does it, by file names:
//
//   1. <base>.log.cleaned is written whole and fsynced (the cleaner, async);
//   2. renamed to <base>.log.swap, directory fsynced: the commit point.
//      From here recovery finishes the swap instead of discarding it;
//   3. the old segments' files are removed (their open fds stay valid for
//      reads in flight: SharedFile leases), directory fsynced;
//   4. <base>.log.swap renamed over <base>.log, directory fsynced.
//
// The new segment starts at the group's first base offset; its records may
// end well before the next segment begins (removed records leave a gap).
// So the files' names carry the range the group covered,
// <base>-<end>.log.cleaned and .swap, and recovery knows exactly which old
// segments a .swap replaces: a guess from its last offset could keep an old
// segment whose records the cleaning removed (a deleted key's value, say).
// At startup (recoverSwaps, before segments are opened): a .cleaned file is
// an unfinished cleaning and goes; a .swap is steps 3-4 finished.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { batchCrcOk } from '../../batch-view.js';
import { syncDirectory } from '../../sync-dir.js';
import { BatchReader } from '../batch-reader.js';
import { segmentName } from '../segment.js';
import { closeSync, openSync } from 'node:fs';

export const CLEANED_SUFFIX = '.log.cleaned';
export const SWAP_SUFFIX = '.log.swap';
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex|tags)$/;
const SWAP_FILE = /^(\d{20})-(\d{20})\.log\.swap$/;

/** The offsets [base, end) a cleaned group covers, as its files name them. */
export interface GroupRange {
  base: number;
  end: number;
}

export function cleanedPath(dir: string, r: GroupRange): string {
  return join(dir, `${segmentName(r.base)}-${segmentName(r.end)}${CLEANED_SUFFIX}`);
}

export function swapPath(dir: string, r: GroupRange): string {
  return join(dir, `${segmentName(r.base)}-${segmentName(r.end)}${SWAP_SUFFIX}`);
}

/** Step 2: the cleaned file (written and fsynced) becomes the swap file. */
export function commitCleaned(dir: string, r: GroupRange): void {
  renameSync(cleanedPath(dir, r), swapPath(dir, r));
  syncDirectory(dir);
}

/**
 * Steps 3 and 4: removes the files of segments with base offsets in
 * [base, end) (the segments the swap replaces; their owners have closed
 * them), then renames the swap file to <base>.log. Index files of `base`
 * go too: the caller rebuilds them from the new log.
 */
export function finishSwap(dir: string, { base, end }: GroupRange): void {
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    const b = Number(m[1]);
    if (b < base || b >= end) continue;
    if (b === base && m[2] === 'log') continue; // replaced by the rename, atomically
    rmSync(join(dir, name), { force: true });
  }
  syncDirectory(dir);
  renameSync(swapPath(dir, { base, end }), join(dir, `${segmentName(base)}.log`));
  syncDirectory(dir);
}

/**
 * Startup: discards unfinished cleanings, finishes committed swaps. Returns
 * the base offsets of segments swapped in now (their indexes must be rebuilt).
 */
export function recoverSwaps(dir: string, log: (m: string) => void): Set<number> {
  const rebuilt = new Set<number>();
  if (!existsSync(dir)) return rebuilt;
  for (const name of readdirSync(dir)) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      rmSync(join(dir, name), { force: true });
      log(`recovery: ${dir}: removed ${name}, a cleaning that did not finish`);
    }
  }
  for (const name of readdirSync(dir).sort()) {
    const m = SWAP_FILE.exec(name);
    if (!m) continue;
    const range = { base: Number(m[1]), end: Number(m[2]) };
    if (!wholeBatches(join(dir, name), range)) {
      // Never written by steps 1-2 (which fsync before the rename): not ours to trust.
      rmSync(join(dir, name), { force: true });
      log(`recovery: ${dir}: removed ${name}: it does not hold whole, valid batches within its range`);
      continue;
    }
    finishSwap(dir, range);
    rebuilt.add(range.base);
    log(`recovery: ${dir}: finished swapping in the cleaned segment ${segmentName(range.base)} (offsets ${range.base} to ${range.end - 1})`);
  }
  return rebuilt;
}

/** Whether a log file holds only whole batches with valid CRCs, offsets rising within [base, end). */
function wholeBatches(path: string, { base, end }: GroupRange): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const reader = new BatchReader(fd, size);
    let pos = 0;
    let next = base;
    while (pos < size) {
      const b = reader.at(pos, true);
      if (b === null || !batchCrcOk(b) || b.baseOffset < next) return false;
      next = b.baseOffset + b.lastOffsetDelta + 1;
      pos += b.size;
    }
    return next <= end;
  } finally {
    closeSync(fd);
  }
}
