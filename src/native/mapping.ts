import { native } from './addon.js';

/**
 * Maps `length` bytes of `fd` from `offset` (a multiple of the page size).
 * The ArrayBuffer reads and, if writable, writes the file's pages directly.
 * Call unmapFile() when done: it detaches the buffer, so stale views read as
 * empty rather than touching unmapped memory.
 */
export function mapFile(fd: number, offset: number, length: number, writable = false): ArrayBuffer {
  return native.map(fd, offset, length, writable);
}

export function unmapFile(mapping: ArrayBuffer): void {
  native.unmap(mapping);
}

/** msync(MS_SYNC) of a byte range of a mapping. */
export function syncMapping(mapping: ArrayBuffer, offset: number, length: number): void {
  native.msync(mapping, offset, length);
}

/**
 * `length` bytes of a log file at `position`, viewed in the mmap strategy's
 * mapping of it (native/mapped_read.cc): in a kept 4 MiB chunk's
 * ArrayBuffer where the bytes lie in one, else in a Buffer of their own;
 * null where pread must read them (past the end of the file, a failed
 * mmap). Read-only: writing to it faults. Read only the view: its
 * `.buffer` is the whole chunk, which may reach past the end of the file,
 * where reading it (a copy, structuredClone, postMessage) takes SIGBUS.
 */
export function mappedView(fd: number, position: number, length: number): Buffer | null {
  const chunk = native.mapChunk(fd, position, length);
  if (chunk !== null) return Buffer.from(chunk, position % native.mapChunkBytes, length);
  return native.mapRead(fd, position, length);
}
