// Reading a closed segment's batches in order, for the cleaner: in chunks
// of CHUNK_BYTES by pread, every byte counted against the I/O budget, with
// the throttle's waits taken between chunks (when the event loop is free
// for the broker's own work). The segment's file is held by a lease for the
// whole cleaning, so retention deleting it meanwhile leaves the fd valid.
import { setTimeout as delay } from 'node:timers/promises';
import { LOG_OVERHEAD_BYTES, readBatchHeader, type BatchHeader } from '../../../records/index.js';
import { preadFully } from '../../read-bytes.js';
import type { IoThrottle } from './throttle.js';

export const CHUNK_BYTES = 256 * 1024;
const HEADER_BYTES = 61;

export interface ScannedBatch {
  buf: Buffer;
  at: number;
  size: number;
  header: BatchHeader;
  /** Position in the segment's file. */
  position: number;
}

/** What the scans share: the budget, a stop signal, and counters. */
export class ScanContext {
  bytesRead = 0;
  bytesWritten = 0;

  constructor(readonly throttle: IoThrottle, readonly signal: AbortSignal) {}

  /** Counts I/O and waits as long as the budget says (or until stopped). */
  async spent(bytes: number, kind: 'read' | 'write'): Promise<void> {
    if (kind === 'read') this.bytesRead += bytes;
    else this.bytesWritten += bytes;
    const wait = this.throttle.account(bytes);
    this.checkStop();
    // Even unthrottled, let the broker's queued work run between chunks.
    if (wait > 0) await delay(wait, undefined, { signal: this.signal, ref: false });
    else await new Promise<void>((r) => setImmediate(r));
    this.checkStop();
  }

  checkStop(): void {
    if (this.signal.aborted) throw new CleaningStopped();
  }
}

export class CleaningStopped extends Error {
  constructor() {
    super('cleaning stopped');
  }
}

export interface ScannedSegment {
  readonly fd: number;
  readonly size: number;
}

/** The segment's batches from `position` on, whole, in order. Stops at a torn tail (recovery's to cut, not the cleaner's). */
export async function* scanBatches(seg: ScannedSegment, ctx: ScanContext, position = 0): AsyncGenerator<ScannedBatch> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = position;
  let chunkEnd = position;
  let pos = position;
  while (pos < seg.size) {
    if (pos + HEADER_BYTES > chunkEnd) {
      ({ chunk, chunkStart, chunkEnd } = await fill(seg, ctx, pos, HEADER_BYTES));
      if (pos + HEADER_BYTES > chunkEnd) return;
    }
    const size = chunk.readInt32BE(pos - chunkStart + 8) + LOG_OVERHEAD_BYTES;
    if (size < HEADER_BYTES || pos + size > seg.size) return;
    if (pos + size > chunkEnd) {
      ({ chunk, chunkStart, chunkEnd } = await fill(seg, ctx, pos, size));
      if (pos + size > chunkEnd) return;
    }
    const at = pos - chunkStart;
    yield { buf: chunk, at, size, header: readBatchHeader(chunk, at), position: pos };
    pos += size;
  }
}

async function fill(seg: ScannedSegment, ctx: ScanContext, pos: number, need: number): Promise<{ chunk: Buffer; chunkStart: number; chunkEnd: number }> {
  // A fresh buffer each time: batches yielded before may still be referenced (records' views).
  const buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
  const want = Math.min(buf.length, seg.size - pos);
  const r = preadFully(seg.fd, buf, 0, want, pos);
  await ctx.spent(r.bytes, 'read');
  return { chunk: buf, chunkStart: pos, chunkEnd: pos + r.bytes };
}
