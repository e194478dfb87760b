// The append and read loops the storage benchmark times.
import { readSync } from 'node:fs';
import { encodeBatch } from '../../src/records/index.js';
import { releaseRegions } from '../../src/transfer/index.js';
import type { FlushPolicy, StorageEngine, TopicPartition } from '../../src/storage/types.js';

import { SOURCE_COPIES } from './baselines.js';

export const BATCH_TARGET_BYTES = 16 * 1024; // a Kafka producer's default batch.size
const IN_FLIGHT = SOURCE_COPIES;

/** A batch of ~16 KiB of `recordBytes`-byte records, and its record count. */
export function makeBatch(recordBytes: number): { batch: Buffer; records: number } {
  const value = Buffer.alloc(recordBytes, 0x61);
  let records = 1;
  while (true) {
    const b = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: records + 1 }, () => ({ key: null, value })) });
    if (b.length > BATCH_TARGET_BYTES) break;
    records++;
  }
  const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: records }, () => ({ key: null, value })) });
  return { batch, records };
}

export interface AppendRun {
  appends: number;
  records: number;
  bytes: number;
  seconds: number;
}

/**
 * Appends copies of `batch` round-robin over `tps` until `totalBytes`,
 * keeping up to IN_FLIGHT appends outstanding (so group commit can work).
 */
export async function appendLoop(engine: StorageEngine, tps: TopicPartition[], batch: Buffer, recordsPerBatch: number, totalBytes: number): Promise<AppendRun> {
  const n = Math.ceil(totalBytes / batch.length);
  // Each append rewrites its buffer's base offset: give each in-flight slot its own.
  const pool = Array.from({ length: IN_FLIGHT }, () => Buffer.from(batch));
  const slots: Promise<unknown>[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const slot = i % IN_FLIGHT;
    if (slots[slot]) await slots[slot];
    slots[slot] = engine.append(tps[i % tps.length]!, pool[slot]!);
  }
  await Promise.all(slots);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { appends: n, records: n * recordsPerBatch, bytes: n * batch.length, seconds };
}

export interface ReadRun {
  reads: number;
  bytes: number;
  seconds: number;
  stats: Record<string, number>;
}

/** Reads every partition from its start, 1 MiB per read, pread-ing the regions as a consumer would get them. */
export function readLoop(engine: StorageEngine, tps: TopicPartition[]): ReadRun {
  let buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  const before = engine.stats();
  let reads = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (const tp of tps) {
    const hw = engine.highWatermark(tp);
    let offset = engine.logStartOffset(tp);
    while (offset < hw) {
      const r = engine.read(tp, offset, 1024 * 1024);
      reads++;
      let last = -1n;
      for (const region of r.regions) {
        if (region.length > buf.length) buf = Buffer.allocUnsafe(region.length);
        let got = 0;
        while (got < region.length) got += readSync(region.file.fd, buf, got, region.length - got, region.position + got);
        bytes += region.length;
        last = lastWholeBatchOffset(buf, region.length, last);
      }
      releaseRegions(r.regions);
      if (last < offset) break;
      offset = last + 1n;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = engine.stats();
  const stats: Record<string, number> = {};
  for (const k of Object.keys(after)) stats[k] = (after[k] ?? 0) - (before[k] ?? 0);
  return { reads, bytes, seconds, stats };
}

/** The last offset of the last whole batch in buf[0, length). */
function lastWholeBatchOffset(buf: Buffer, length: number, last: bigint): bigint {
  let pos = 0;
  while (length - pos >= 61) {
    const size = buf.readInt32BE(pos + 8) + 12;
    if (pos + size > length) break;
    last = buf.readBigInt64BE(pos) + BigInt(buf.readInt32BE(pos + 23));
    pos += size;
  }
  return last;
}

export function flushName(f: FlushPolicy): string {
  return f.kind === 'interval' ? `interval ${f.intervalMs}ms` : f.kind;
}
