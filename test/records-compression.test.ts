// records/compression.ts: every codec a Kafka producer may use, read back
// through decodeBatch and ListOffsets' search inside a batch, and bounded:
// a block that expands beyond the limit is refused, never allocated.
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  MAX_DECOMPRESSED_BYTES,
  RECORDS_AT,
  RecordBatchError,
  canCompress,
  compress,
  compressionOf,
  decodeBatch,
  decompress,
  encodeBatch,
  firstRecordAtOrAfter,
  setBaseOffset,
  type CompressionCodec,
} from '../src/records/index.js';
import { forEachStamped, StampedBatch } from '../src/client/load/stamped-batch.js';
import { timedBatch, withBlock, zstdBomb, zstdStored } from './helpers/batches.js';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as { compress(b: Uint8Array): Uint8Array };

const CODEC_ID = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const MiB = 1024 * 1024;

/**
 * Heap and buffer bytes still reachable after a full collection. Twice: a
 * collection frees dead buffers' memory on a background thread, which the
 * next one waits for (one alone counted them on a busy machine).
 */
function retainedBytes(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The uncompressed batch's records section compressed in `codec` (zstd: stored blocks when this Node cannot compress it). */
function compressed(batch: Buffer, codec: keyof typeof CODEC_ID): Buffer {
  const plain = batch.subarray(RECORDS_AT);
  const block = codec === 'zstd' && !canCompress('zstd') ? zstdStored(plain) : compress(codec, plain);
  return withBlock(batch, CODEC_ID[codec], block);
}

function refusal(f: () => unknown): RecordBatchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RecordBatchError);
    return e as RecordBatchError;
  }
  throw new Error('expected a RecordBatchError');
}

/** Xerial framing (snappy-java's SnappyOutputStream, Java producers): magic, versions, then length-prefixed raw chunks. */
function xerial(plain: Buffer, chunkBytes: number): Buffer {
  const parts = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let at = 0; at < plain.length; at += chunkBytes) {
    const c = Buffer.from(snappyjs.compress(plain.subarray(at, at + chunkBytes)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    parts.push(len, c);
  }
  return Buffer.concat(parts);
}

describe('compressed batches', () => {
  const many = timedBatch(Array.from({ length: 1000 }, (_, i) => 10_000 + i));
  setBaseOffset(many, 0, 5000n);
  const plain = decodeBatch(many);

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('decodes a %s batch to the same records, and finds a record inside it by time', (codec) => {
    const b = compressed(many, codec);
    expect(compressionOf(b.readInt16BE(21))).toBe(codec);
    if (codec !== 'zstd' || canCompress('zstd')) expect(b.length).toBeLessThan(many.length);
    const d = decodeBatch(b);
    expect(d.header.recordCount).toBe(1000);
    expect(d.records.map((r) => r.value!.toString())).toEqual(plain.records.map((r) => r.value!.toString()));
    expect(firstRecordAtOrAfter(b, 0, 10_321)).toEqual({ offset: 5321, timestamp: 10_321 });
    expect(firstRecordAtOrAfter(b, 0, 11_000)).toBeNull();
  });

  it.each(['gzip', 'snappy', 'lz4'] as const)('encodeBatch writes %s batches that read back', (codec) => {
    const b = encodeBatch({ baseTimestamp: 7n, records: [{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(500)) }], compression: codec });
    expect(compressionOf(b.readInt16BE(21))).toBe(codec);
    expect(decodeBatch(b).records[0]!.value!.toString()).toBe('v'.repeat(500));
  });

  it('reads snappy in the xerial framing Java producers write, chunk by chunk', () => {
    const section = many.subarray(RECORDS_AT);
    const b = withBlock(many, 2, xerial(section, 4096));
    expect(decodeBatch(b).records.map((r) => r.value!.toString())).toEqual(plain.records.map((r) => r.value!.toString()));
    expect(firstRecordAtOrAfter(b, 0, 10_900)).toEqual({ offset: 5900, timestamp: 10_900 });
  });

  it('lets the load consumer count records of compressed batches', () => {
    const stamped = new StampedBatch(42n, 10, 16).stamp(0, 1, Date.now());
    const seen: number[] = [];
    forEachStamped(compressed(stamped, 'lz4'), 0n, (r) => seen.push(r.sequence));
    expect(seen).toEqual([...Array(10).keys()]);
  });

  it('refuses bytes that are not the codec, as CORRUPT_MESSAGE, and a time lookup answers the batch itself', () => {
    for (const codec of [1, 2, 3, 4]) {
      const b = withBlock(many, codec, Buffer.from('not compressed at all, not at all'));
      const e = refusal(() => decodeBatch(b));
      expect(e.code).toBe('CORRUPT_MESSAGE');
      expect(firstRecordAtOrAfter(b, 0, 10_500)).toEqual({ offset: 5000, timestamp: 10_999 });
    }
  });
});

describe('decompression is bounded', () => {
  const zeros = Buffer.alloc(2 * MiB);
  const bombs: [CompressionCodec, Buffer][] = [
    ['gzip', gzipSync(zeros)],
    ['snappy', compress('snappy', zeros)],
    ['lz4', compress('lz4', zeros)],
    ['zstd', zstdBomb(16)], // 2 MiB
  ];

  it.each(bombs)('refuses a %s block that expands beyond the limit, and reads it under a larger one', (codec, block) => {
    expect(block.length).toBeLessThan(200 * 1024);
    const e = refusal(() => decompress(codec, block, MiB));
    expect(e.code).toBe('BATCH_TOO_LARGE');
    expect(e.message).toContain(`${codec} block decompresses to more than ${MiB} bytes`);
    expect(decompress(codec, block, 4 * MiB).length).toBe(2 * MiB);
  });

  it('refuses a snappy block whose length preamble claims more than the limit, before decoding', () => {
    const lie = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00]); // 2^31
    expect(refusal(() => decompress('snappy', lie)).code).toBe('BATCH_TOO_LARGE');
    expect(refusal(() => decompress('snappy', xerial(zeros, 512 * 1024), MiB)).code).toBe('BATCH_TOO_LARGE');
  });

  it('refuses a zstd bomb past the default limit in a batch, for the tools and the time lookup alike', () => {
    const blocks = MAX_DECOMPRESSED_BYTES / (128 * 1024) + 8;
    const b = withBlock(timedBatch([1, 2, 3]), 4, zstdBomb(blocks));
    expect(b.length).toBeLessThan(8 * 1024);
    const before = retainedBytes();
    const e = refusal(() => decodeBatch(b));
    expect(e.code).toBe('BATCH_TOO_LARGE');
    expect(e.kafkaErrorCode).toBe(10);
    expect(firstRecordAtOrAfter(b, 0, 2)).toEqual({ offset: 0, timestamp: 3 });
    expect(refusal(() => decodeBatch(b, 0, { maxDecompressedBytes: MiB })).message).toContain(`more than ${MiB} bytes`);
    // Nothing of what was decompressed before the refusal is kept. Measured
    // after a full collection: RSS before it counts garbage not yet swept
    // (two refused attempts leave up to 64 MiB each), which is not a leak.
    expect(retainedBytes() - before).toBeLessThan(4 * MiB);
  });

  it('refuses a zstd frame whose declared content size is over the limit, before allocating', () => {
    // Single segment, 4-byte content size 2^31: fzstd would allocate a window that size.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00]);
    expect(refusal(() => decompress('zstd', frame)).code).toBe('BATCH_TOO_LARGE');
  });
});
