import { readSync } from 'node:fs';
import { mappedView } from '../native/mapping.js';
import { releaseRegions } from '../transfer/shared-file.js';
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
 * Read-only: writing to it faults. Other reads are copied by pread.
 */
export function mappedBytesAt(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, options?: ReadOptions): Buffer {
  return bytesOfRead(engine, tp, offset, maxBytes, options, mappedRegionBytes);
}

function mappedRegionBytes(regions: readonly FileRegion[]): Buffer {
  const r = regions.length === 1 ? regions[0]! : null;
  return (r && mappedView(r.file.fd, r.position, r.length)) ?? readRegionBytes(regions);
}

function bytesOfRead(engine: StorageEngine, tp: TopicPartition, offset: bigint, maxBytes: number, options: ReadOptions | undefined, bytesOf: (regions: readonly FileRegion[]) => Buffer): Buffer {
  const { regions } = engine.read(tp, offset, maxBytes, options);
  try {
    return bytesOf(regions);
  } finally {
    releaseRegions(regions);
  }
}
