// What the disk allows, measured in the same run as the engines: plain
// positional write(2) loops of the same batch bytes, and the mmap+memcpy
// alternative an engine could write through (as RocketMQ's MappedFile does).
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mapFile, unmapFile } from '../../src/native/mapping.js';

export interface RawResult {
  name: string;
  files: number;
  bytes: number;
  seconds: number;
}

function timed(name: string, files: number, bytes: number, fn: () => void): RawResult {
  const t0 = process.hrtime.bigint();
  fn();
  return { name, files, bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Copies of a batch as the engine loop holds them (one per in-flight slot), so both read the same memory. */
export const SOURCE_COPIES = 64;

/** write(2) of `batch` round-robin over `files` files until `totalBytes`. */
export function rawWrites(dir: string, batch: Buffer, files: number, totalBytes: number, syncEveryBytes = 0): RawResult {
  mkdirSync(dir, { recursive: true });
  const sources = Array.from({ length: SOURCE_COPIES }, () => Buffer.from(batch));
  const fds = Array.from({ length: files }, (_, i) => openSync(join(dir, `raw-${i}`), 'w'));
  const pos = new Array<number>(files).fill(0);
  const n = Math.ceil(totalBytes / batch.length);
  const name = syncEveryBytes > 0 ? `raw write + fdatasync/${syncEveryBytes >> 20}MiB` : files === 1 ? 'raw write, 1 file' : `raw write, ${files} files`;
  const r = timed(name, files, n * batch.length, () => {
    let sinceSync = 0;
    for (let i = 0; i < n; i++) {
      const f = i % files;
      writeSync(fds[f]!, sources[i % SOURCE_COPIES]!, 0, batch.length, pos[f]);
      pos[f]! += batch.length;
      sinceSync += batch.length;
      if (syncEveryBytes > 0 && sinceSync >= syncEveryBytes) {
        fdatasyncSync(fds[f]!);
        sinceSync = 0;
      }
    }
  });
  for (const fd of fds) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

/** memcpy of `batch` into a preallocated file mapped through the addon. */
export function mappedWrites(dir: string, batch: Buffer, totalBytes: number): RawResult {
  mkdirSync(dir, { recursive: true });
  const n = Math.ceil(totalBytes / batch.length);
  const bytes = n * batch.length;
  const fd = openSync(join(dir, 'mapped'), 'w+');
  ftruncateSync(fd, bytes);
  const m = mapFile(fd, 0, bytes, true);
  const view = Buffer.from(m);
  const r = timed('mmap + memcpy, 1 file', 1, bytes, () => {
    for (let i = 0; i < n; i++) batch.copy(view, i * batch.length);
  });
  unmapFile(m);
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return r;
}
