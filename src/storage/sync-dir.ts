// Making a change to a directory's entries durable: fsync of the directory
// itself. A file's own fsync makes its data durable, not (by POSIX) the
// creation, rename or removal of its name.
import { closeSync, fsyncSync, openSync } from 'node:fs';

export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
