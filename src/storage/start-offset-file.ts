// A partition's log start offset where whole files cannot carry it: after
// DeleteRecords to an offset inside a segment (or a consume-queue file), the
// start is above the first file's first offset. It is kept in a small file
// in the partition's directory, replaced whole (temp file, fsync, rename,
// fsync of the directory), so a crash leaves the old start or the new one.
// A missing or unreadable file means no start beyond the files'.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from './errors.js';
import { syncDirectory } from './sync-dir.js';

export const START_OFFSET_FILE = 'log-start-offset';

/** The start offset saved in `dir`, or 0 if none was. */
export function readStartOffset(dir: string): number {
  const file = join(dir, START_OFFSET_FILE);
  if (!existsSync(file)) return 0;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Saves `offset` as the start offset of the partition in `dir`, durably. */
export function writeStartOffset(dir: string, offset: number): void {
  const file = join(dir, START_OFFSET_FILE);
  const tmp = `${file}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${offset}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDirectory(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StorageError('KAFKA_STORAGE_ERROR', `saving the log start offset in ${dir} failed: ${e.code ?? e.message}`, { cause: err });
  }
}
