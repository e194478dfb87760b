import { readSync } from 'node:fs';
import { batchAt, batchCrcOk } from '../../src/storage/batch-view.js';
import type { StorageEngine, TopicPartition } from '../../src/storage/types.js';
import { releaseRegions, type FileRegion } from '../../src/transfer/index.js';

/** The bytes of regions, read back from their files. */
export function readRegions(regions: readonly FileRegion[]): Buffer {
  const out = Buffer.alloc(regions.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of regions) {
    let got = 0;
    while (got < r.length) {
      const n = readSync(r.file.fd, out, at + got, r.length - got, r.position + got);
      if (n === 0) throw new Error(`region ${r.position}+${r.length} past end of file`);
      got += n;
    }
    at += r.length;
  }
  return out;
}

export interface SeenBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  crcOk: boolean;
  bytes: Buffer;
}

/** Whole batches in `buf`, in order; an incomplete trailing batch is dropped, as clients do. */
export function batchesIn(buf: Buffer): SeenBatch[] {
  const out: SeenBatch[] = [];
  let at = 0;
  for (let b = batchAt(buf, at); b !== null && at + b.size <= buf.length; b = batchAt(buf, at)) {
    out.push({
      baseOffset: b.baseOffset,
      lastOffset: b.baseOffset + b.lastOffsetDelta,
      maxTimestamp: b.maxTimestamp,
      crcOk: batchCrcOk(b),
      bytes: buf.subarray(at, at + b.size),
    });
    at += b.size;
  }
  return out;
}

/**
 * Every batch from `from` to the high watermark, reading as a consumer does:
 * one read at a time (an engine may answer from one file per read), going
 * on from the last whole batch. Fails on a partial batch at the very end.
 */
export function readAllBatches(engine: StorageEngine, tp: TopicPartition, from = engine.logStartOffset(tp)): SeenBatch[] {
  const out: SeenBatch[] = [];
  const hw = engine.highWatermark(tp);
  let offset = from;
  while (offset < hw) {
    const r = engine.read(tp, offset, 1 << 20);
    const batches = batchesIn(readRegions(r.regions));
    releaseRegions(r.regions);
    if (batches.length === 0) throw new Error(`no whole batch at offset ${offset} below the high watermark ${hw}`);
    out.push(...batches);
    offset = BigInt(batches.at(-1)!.lastOffset + 1);
  }
  return out;
}
