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
// The new segment starts at the group's first base offset and ends where
// its last old segment ended (its last batch is kept, empty if need be), so
// recovery knows which old segments a .swap replaces by reading its offsets.
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

export function cleanedPath(dir: string, base: number): string {
  return join(dir, `${segmentName(base)}${CLEANED_SUFFIX}`);
}

export function swapPath(dir: string, base: number): string {
  return join(dir, `${segmentName(base)}${SWAP_SUFFIX}`);
}

/** Step 2: the cleaned file (written and fsynced) becomes the swap file. */
export function commitCleaned(dir: string, base: number): void {
  renameSync(cleanedPath(dir, base), swapPath(dir, base));
  syncDirectory(dir);
}

/**
 * Steps 3 and 4: removes the files of segments with base offsets in
 * [base, end) (the segments the swap replaces; their owners have closed
 * them), then renames the swap file to <base>.log. Index files of `base`
 * go too: the caller rebuilds them from the new log.
 */
export function finishSwap(dir: string, base: number, end: number): void {
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    const b = Number(m[1]);
    if (b < base || b >= end) continue;
    if (b === base && m[2] === 'log') continue; // replaced by the rename, atomically
    rmSync(join(dir, name), { force: true });
  }
  syncDirectory(dir);
  renameSync(swapPath(dir, base), join(dir, `${segmentName(base)}.log`));
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
    if (!name.endsWith(SWAP_SUFFIX)) continue;
    const base = Number(name.slice(0, 20));
    const end = endOffsetOf(join(dir, name));
    if (end === null) {
      // Never written by steps 1-2 (which fsync before the rename): not ours to trust.
      rmSync(join(dir, name), { force: true });
      log(`recovery: ${dir}: removed ${name}: it does not hold whole, valid batches`);
      continue;
    }
    finishSwap(dir, base, end);
    rebuilt.add(base);
    log(`recovery: ${dir}: finished swapping in the cleaned segment ${segmentName(base)} (offsets ${base} to ${end - 1})`);
  }
  return rebuilt;
}

/** The offset after the last batch of a log file, or null if any batch is torn or corrupt (or there is none). */
function endOffsetOf(path: string): number | null {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const reader = new BatchReader(fd, size);
    let pos = 0;
    let end: number | null = null;
    while (pos < size) {
      const b = reader.at(pos, true);
      if (b === null || !batchCrcOk(b)) return null;
      end = b.baseOffset + b.lastOffsetDelta + 1;
      pos += b.size;
    }
    return end;
  } finally {
    closeSync(fd);
  }
}
