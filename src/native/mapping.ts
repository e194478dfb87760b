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
