// Record batches for storage tests, built with the project's record codec.
import { gzipSync } from 'node:zlib';
import { ATTRIBUTES_AT, BATCH_LENGTH_AT, COMPRESSION_CODEC_MASK, encodeBatch, LOG_OVERHEAD_BYTES, RECORDS_AT, writeBatchCrc } from '../../src/records/index.js';

export interface TestRecord {
  key?: string | null;
  value: string | Buffer;
  timestampMs?: number;
}

/** One uncompressed v2 batch of `records` (base offset 0; the log assigns it). */
export function batchOf(records: TestRecord[], baseTimestampMs = 1_700_000_000_000): Buffer {
  return encodeBatch({
    baseTimestamp: BigInt(baseTimestampMs),
    records: records.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
      headers: [],
      timestamp: BigInt(r.timestampMs ?? baseTimestampMs),
    })),
  });
}

/** A batch of `count` records whose values are "<prefix>-<i>". */
export function numberedBatch(prefix: string, count: number, timestampMs?: number): Buffer {
  return batchOf(Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}` })), timestampMs);
}

export interface TimedBatchOptions {
  /** Stamp the batch with log-append time: every record's timestamp is then this. */
  logAppendTimeMs?: number;
  /** A maxTimestamp other than the records' largest (a batch that claims more than it holds). */
  maxTimestampMs?: number;
  /** Value bytes per record (default a short "t<timestamp>"). */
  valueBytes?: number;
}

/** A batch with one record per timestamp, in the order given. */
export function timedBatch(timestampsMs: readonly number[], o: TimedBatchOptions = {}): Buffer {
  const base = timestampsMs[0] ?? 0;
  const records = timestampsMs.map((t) => ({
    key: null,
    value: o.valueBytes === undefined ? Buffer.from(`t${t}`) : Buffer.alloc(o.valueBytes, 0x61),
    timestamp: BigInt(t),
  }));
  if (o.logAppendTimeMs !== undefined) {
    return encodeBatch({ baseTimestamp: BigInt(base), maxTimestamp: BigInt(o.logAppendTimeMs), timestampType: 'log-append-time', records });
  }
  return encodeBatch({ baseTimestamp: BigInt(base), maxTimestamp: o.maxTimestampMs === undefined ? undefined : BigInt(o.maxTimestampMs), records });
}

/** The same batch with its records section gzip-compressed, as a producer with compression.type=gzip sends it. */
export function gzipped(batch: Buffer): Buffer {
  const records = gzipSync(batch.subarray(RECORDS_AT));
  const out = Buffer.concat([batch.subarray(0, RECORDS_AT), records]);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_AT) & ~COMPRESSION_CODEC_MASK) | 1, ATTRIBUTES_AT);
  writeBatchCrc(out, 0);
  return out;
}

/** The batch with its attributes claiming another codec (bytes left as they are): records no reader here can inflate. */
export function claimingCodec(batch: Buffer, codec: number): Buffer {
  const out = Buffer.from(batch);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_AT) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_AT);
  writeBatchCrc(out, 0);
  return out;
}

/**
 * A zstd frame holding `plain` in raw (stored) blocks, and a zstd bomb: RLE
 * blocks of 128 KiB each from 4 bytes. Node 20 cannot compress zstd; these
 * are valid frames any decoder must read (kcat's make real compressed ones).
 */
export function zstdStored(plain: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])]; // magic, no FCS, window 2 MiB
  const BLOCK = 128 * 1024;
  for (let at = 0; at === 0 || at < plain.length; at += BLOCK) {
    const chunk = plain.subarray(at, at + BLOCK);
    const last = at + BLOCK >= plain.length ? 1 : 0;
    const h = (chunk.length << 3) | last; // type 0: raw
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), chunk);
  }
  return Buffer.concat(parts);
}

export function zstdBomb(blocks: number): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])];
  for (let i = 0; i < blocks; i++) {
    const h = ((128 * 1024) << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0); // type 1: RLE
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x61]));
  }
  return Buffer.concat(parts);
}

/** The batch with its records section replaced by `block`, its attributes claiming `codec`. */
export function withBlock(batch: Buffer, codec: number, block: Buffer): Buffer {
  const out = Buffer.concat([batch.subarray(0, RECORDS_AT), block]);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_AT) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_AT);
  writeBatchCrc(out, 0);
  return out;
}
