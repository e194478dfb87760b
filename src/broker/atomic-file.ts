// Small state files (topics, dynamic configs, producer ids, the producer-state
// snapshot) are replaced whole: written to a temporary file, fsynced, renamed
// over the old one, so a crash leaves either the old file or the new one,
// never half of each. `syncDir` also syncs the directory, so the rename (or
// a removal) outlives a power loss: for a file whose old version must not
// come back (a checkpoint that merely lags need not pay for it).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  syncDir?: boolean;
}

export function writeFileAtomic(file: string, data: string | Buffer, options: AtomicWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const tmp = `${file}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (options.syncDir) syncDir(file);
}

/** writeFileAtomic off the event loop. */
export async function writeFileAtomicAsync(file: string, bytes: Buffer, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(bytes);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (options.syncDir) {
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** Removes the file for good: the directory synced, so it does not come back after a power loss. */
export function removeFileDurably(file: string): void {
  rmSync(file, { force: true });
  syncDir(file);
}

function syncDir(file: string): void {
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
