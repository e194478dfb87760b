import { readSync } from 'node:fs';
import { native } from '../native/addon.js';
import { releaseRegions, type SharedFile } from '../transfer/shared-file.js';
import type { FileRegion } from '../transfer/types.js';
import type { ReadOptions, StorageEngine, TopicPartition } from './types.js';

/**
 * Reads up to `length` bytes at `position` into `buf` at `at`, going on
 * after short reads; stops early only at the end of the file. Returns the
 * bytes read and the pread calls it took (the engines count them).
 */
export function preadFully(fd: number, buf: Buffer, at: number, length: number, position: number): { bytes: number; calls: number } {
  let bytes = 0;
  let calls = 0;
  while (bytes < length) {
    calls++;
    const n = readSync(fd, buf, at + bytes, length - bytes, position + bytes);
    if (n === 0) break;
    bytes += n;
  }
  return { bytes, calls };
}

/** The bytes of file regions, read into memory (for the paths that must look inside records). */
export function readRegionBytes(regions: readonly FileRegion[]): Buffer {
  const out = Buffer.allocUnsafe(regions.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of regions) {
    if (preadFully(r.file.fd, out, at, r.length, r.position).bytes < r.length) throw new Error(`region ${r.position}+${r.length} lies past the end of its file`);
    at += r.length;
  }
  return out;
}

/**
 * The bytes an engine read returns, copied into memory, with the read's
 * leases given back at once (for the paths that look inside records:
 * startup scans, JSON answers).
 */
export function readBytesAt(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): Buffer {
  return bytesOfRead(engine, tp, offset, maxBytes, options, readRegionBytes);
}

/**
 * readBytesAt's bytes without copying them into memory where the read is
 * one region of one file: a view of the mmap strategy's mapping of it
 * (native/mapped_read.cc), as RocketMQ's broker reads its commit log.
 * Read-only: writing to it faults. Other reads are copied by pread. The
 * view's ArrayBuffer is the mapping's, larger than the view: what the read
 * holds is the view's length.
 */
export function mappedBytesAt(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): Buffer {
  return bytesOfRead(engine, tp, offset, maxBytes, options, mappedRegionBytes);
}

/**
 * How far past a read its file is mapped into view (as far as the file
 * goes): a queue's next reads (a receive's 32 messages, some 32 KiB) are
 * views of that mapping, not a mapRead each (an fstat, an external buffer
 * and its finalizer: about 3 µs).
 */
const MAP_AHEAD_BYTES = 1024 * 1024;
/**
 * Files whose mapping is kept (SharedFile.mapped), oldest first: as many
 * as the addon keeps windows (native/map_cache.h kMapWindowsMax), so a
 * broker reading many queues holds no more mappings than it did.
 */
const MAPPED_FILES_MAX = 64;
const mappedFiles: SharedFile[] = [];

function mappedRegionBytes(regions: readonly FileRegion[]): Buffer {
  const r = regions.length === 1 ? regions[0]! : null;
  if (r === null) return readRegionBytes(regions);
  const file = r.file;
  const m = file.mapped;
  if (m !== null && r.position >= m.position && r.position + r.length <= m.position + m.bytes.length) {
    return m.bytes.subarray(r.position - m.position, r.position - m.position + r.length);
  }
  const bytes = native.mapRead(file.fd, r.position, r.length, MAP_AHEAD_BYTES);
  if (bytes === null) return readRegionBytes(regions);
  if (m === null) {
    mappedFiles.push(file);
    if (mappedFiles.length > MAPPED_FILES_MAX) mappedFiles.shift()!.mapped = null;
  }
  file.mapped = { position: r.position, bytes };
  return bytes.subarray(0, r.length);
}

function bytesOfRead(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, options: ReadOptions | undefined, bytesOf: (regions: readonly FileRegion[]) => Buffer): Buffer {
  const { regions } = engine.read(tp, offset, maxBytes, options);
  try {
    return bytesOf(regions);
  } finally {
    releaseRegions(regions);
  }
}
