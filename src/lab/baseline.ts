// What the disk allows here: a plain loop of 16 KiB write(2) calls to one
// file, the same bytes a broker would append, in the same run as the
// broker's figures so they can be compared as a ratio.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export async function rawWriteBaseline(dir: string, bytes: number): Promise<number> {
  const file = join(dir, 'raw-baseline.bin');
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const fd = openSync(file, 'w');
  const start = process.hrtime.bigint();
  try {
    for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  rmSync(file, { force: true });
  return bytes / seconds / 1e6;
}
