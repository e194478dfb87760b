// Small state files (topics, dynamic configs, producer ids) are replaced
// whole: written to a temporary file, fsynced, renamed over the old one, so
// a crash leaves either the old file or the new one, never half of each.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
