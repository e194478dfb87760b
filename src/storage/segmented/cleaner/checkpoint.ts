// Per compacted partition, where its dirty section starts (the first offset
// no cleaning has mapped: Kafka's cleaner-offset-checkpoint) and the
// earliest delete horizon of the tombstones it kept, so a restart neither
// re-cleans a clean log nor forgets that tombstones fall due (these two are
// hints: stale, the next cleaning maps more than it needs to, or runs once
// early; they are written after the swaps they describe), and below which
// segments may have offset gaps (not a hint: written before the swaps).
// Replaced whole (temp file, fsync, rename, directory fsync), as the
// log-start-offset file is.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from '../../sync-dir.js';

export const CHECKPOINT_FILE = 'cleaner-checkpoint';

export interface CleanerCheckpoint {
  /** The first offset of the dirty section. */
  firstDirty: number;
  /** The earliest delete horizon among kept tombstones (ms), or null if none. */
  nextHorizonMs: number | null;
  /**
   * Segments starting below this may have been written by the cleaner, so
   * their offsets may skip: recovery must not take a gap there for damage.
   * Raised before a cleaning's swaps, so it covers them even if the process
   * dies before firstDirty is moved.
   */
  gapsBelow: number;
}

export function readCheckpoint(dir: string): CleanerCheckpoint {
  const file = join(dir, CHECKPOINT_FILE);
  const none: CleanerCheckpoint = { firstDirty: 0, nextHorizonMs: null, gapsBelow: 0 };
  if (!existsSync(file)) return none;
  const [dirty, horizon, gaps] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(dirty) || dirty! < 0 || !Number.isSafeInteger(gaps)) return none;
  return { firstDirty: dirty!, nextHorizonMs: Number.isSafeInteger(horizon) && horizon! >= 0 ? horizon! : null, gapsBelow: gaps! };
}

export function writeCheckpoint(dir: string, c: CleanerCheckpoint): void {
  const file = join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${c.firstDirty} ${c.nextHorizonMs ?? -1} ${c.gapsBelow}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDirectory(dir);
}
