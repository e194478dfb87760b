// The records section of a compressed batch: one block in the batch's codec
// (attributes bits 0-2), which the tools, ListOffsets by time and RocketMQ
// receives must undo to look at records. The broker's produce and fetch
// paths never come here: they store and serve batches as sent.
//
//   gzip    node:zlib.
//   snappy  snappyjs (pure JS). Two framings reach a broker: raw snappy
//           (librdkafka, kafkajs-snappy, @platformatic/kafka) and Java's
//           xerial framing (snappy-java's SnappyOutputStream: "\x82SNAPPY\0",
//           version and compatible version as int32s, then chunks of an
//           int32 length and a raw snappy block), told apart by that magic,
//           as Kafka and librdkafka do.
//   lz4     lz4-napi (lz4_flex, a prebuilt binary from the npm registry):
//           the LZ4 frame format (magic 0x184D2204), which Kafka uses since
//           magic 1 (KIP-57).
//   zstd    fzstd (pure JS, decompression only; Node 20's zlib has no zstd):
//           a standard zstd frame. Compression uses node:zlib where it has
//           zstd (Node 22.15+), for tests and `mqlab produce --compression`.
//
// Decompression is bounded: a block that would expand beyond `limit` bytes
// is refused with BATCH_TOO_LARGE before (snappy, lz4: the sizes their
// framing declares) or while (gzip, zstd: counted as it streams out) it
// expands, never after allocating the lot. Bytes that do not decompress are
// CORRUPT_MESSAGE.
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { COMPRESSION_CODECS, type CompressionCodec } from './batch-header.js';
import { RecordBatchError } from './errors.js';

const require = createRequire(import.meta.url);

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
interface Lz4Napi {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}

// Loaded on first use: a broker that never meets a snappy or lz4 batch
// never loads them (lz4-napi is a native addon).
let snappyLib: SnappyJs | undefined;
let lz4Lib: Lz4Napi | undefined;
const snappyjs = (): SnappyJs => (snappyLib ??= require('snappyjs') as SnappyJs);
const lz4napi = (): Lz4Napi => (lz4Lib ??= require('lz4-napi') as Lz4Napi);

/**
 * The most bytes one batch's records may decompress to by default: Kafka's
 * message.max.bytes defaults to 1 MiB compressed, and real ratios stay far
 * below 64:1 for records; a zip bomb's do not.
 */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

type Codec = Exclude<CompressionCodec, 'none'>;

/** The codec of an attributes' id (1-4), or a name. */
function codecOf(codec: CompressionCodec | number): CompressionCodec {
  if (typeof codec === 'string') return codec;
  const name = COMPRESSION_CODECS[codec];
  if (name === undefined) throw new RecordBatchError('CORRUPT_MESSAGE', `unknown compression codec ${codec}`);
  return name;
}

/**
 * The decompressed bytes of a batch's records section. Throws
 * RecordBatchError: BATCH_TOO_LARGE beyond `limit` bytes, CORRUPT_MESSAGE for
 * bytes that are not the codec's.
 */
export function decompress(codec: CompressionCodec | number, bytes: Buffer, limit = MAX_DECOMPRESSED_BYTES): Buffer {
  const name = codecOf(codec);
  if (name === 'none') return bytes;
  try {
    switch (name) {
      case 'gzip':
        return gunzip(bytes, limit);
      case 'snappy':
        return snappyDecompress(bytes, limit);
      case 'lz4':
        return lz4Decompress(bytes, limit);
      case 'zstd':
        return zstdDecompress(bytes, limit);
    }
  } catch (err) {
    if (err instanceof RecordBatchError) throw err;
    throw new RecordBatchError('CORRUPT_MESSAGE', `the ${name} block does not decompress: ${(err as Error).message}`);
  }
}

/** `bytes` compressed as a producer in `codec` would (snappy raw, lz4 a frame). zstd needs Node 22.15+. */
export function compress(codec: CompressionCodec, bytes: Buffer): Buffer {
  switch (codec) {
    case 'none':
      return bytes;
    case 'gzip':
      return zlib.gzipSync(bytes);
    case 'snappy':
      return toBuffer(snappyjs().compress(bytes));
    case 'lz4':
      return lz4napi().compressFrameSync(bytes);
    case 'zstd': {
      const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
      if (!zstd) throw new Error(`zstd compression needs Node 22.15 or later (this is ${process.version}); zstd batches are still read`);
      return zstd(bytes);
    }
  }
}

/** Whether this Node can compress with `codec` (all can decompress every codec). */
export function canCompress(codec: CompressionCodec): boolean {
  return codec !== 'zstd' || typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
}

function tooLarge(codec: Codec, limit: number): RecordBatchError {
  return new RecordBatchError('BATCH_TOO_LARGE', `the ${codec} block decompresses to more than ${limit} bytes, the limit`);
}

function gunzip(bytes: Buffer, limit: number): Buffer {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', limit);
    throw err;
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function snappyDecompress(bytes: Buffer, limit: number): Buffer {
  if (bytes.length < XERIAL_HEADER_BYTES || !bytes.subarray(0, 8).equals(XERIAL_MAGIC)) return snappyRaw(bytes, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for (let at = XERIAL_HEADER_BYTES; at < bytes.length; ) {
    if (at + 4 > bytes.length) throw new Error(`a xerial chunk length is cut short at byte ${at}`);
    const length = bytes.readInt32BE(at);
    if (length < 0 || at + 4 + length > bytes.length) throw new Error(`a xerial chunk at byte ${at} declares ${length} bytes; ${bytes.length - at - 4} remain`);
    const chunk = snappyRaw(bytes.subarray(at + 4, at + 4 + length), limit - total);
    total += chunk.length;
    chunks.push(chunk);
    at += 4 + length;
  }
  return Buffer.concat(chunks, total);
}

/** Raw snappy starts with its uncompressed length (a varint): checked against the limit before anything is allocated. */
function snappyRaw(bytes: Buffer, limit: number): Buffer {
  let length = 0;
  for (let i = 0, shift = 1; ; i++, shift *= 128) {
    if (i >= 5 || i >= bytes.length) throw new Error('the snappy length preamble does not parse');
    length += (bytes[i]! & 0x7f) * shift;
    if (bytes[i]! < 0x80) break;
  }
  if (length > limit) throw tooLarge('snappy', limit);
  return toBuffer(snappyjs().uncompress(bytes, limit));
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX_BYTES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/**
 * Walks the LZ4 frames' headers and block sizes (no decompressing) for the
 * most they can expand to: a block decompresses to at most the frame's
 * block maximum size, an uncompressed block to itself. Over `limit`, or a
 * declared content size over it, is refused before lz4-napi allocates.
 */
function lz4Decompress(bytes: Buffer, limit: number): Buffer {
  let most = 0;
  let at = 0;
  while (at < bytes.length) {
    if (at + 7 > bytes.length || bytes.readUInt32LE(at) !== LZ4_MAGIC) throw new Error(`no LZ4 frame at byte ${at}`);
    const flg = bytes[at + 4]!;
    const bd = bytes[at + 5]!;
    if (flg >> 6 !== 1) throw new Error(`LZ4 frame version ${flg >> 6} at byte ${at}`);
    const blockMax = LZ4_BLOCK_MAX_BYTES[(bd >> 4) & 7]!;
    if (blockMax === 0) throw new Error(`LZ4 block maximum size id ${(bd >> 4) & 7} at byte ${at}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    let pos = at + 6;
    if (contentSize) {
      if (pos + 8 > bytes.length) throw new Error('LZ4 frame header cut short');
      const declared = bytes.readUInt32LE(pos) + bytes.readUInt32LE(pos + 4) * 2 ** 32;
      if (most + declared > limit) throw tooLarge('lz4', limit);
      pos += 8;
    }
    if (dictId) pos += 4;
    pos += 1; // header checksum
    for (;;) {
      if (pos + 4 > bytes.length) throw new Error('LZ4 frame cut short (no end mark)');
      const word = bytes.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const uncompressed = word >>> 31 === 1;
      if (size > blockMax) throw new Error(`LZ4 block of ${size} bytes over the frame's maximum ${blockMax}`);
      most += uncompressed ? size : blockMax;
      if (most > limit) throw tooLarge('lz4', limit);
      pos += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) pos += 4;
    if (pos > bytes.length) throw new Error('LZ4 frame cut short');
    at = pos;
  }
  if (at === 0) throw new Error('no LZ4 frame');
  return lz4napi().decompressFrameSync(bytes);
}

/**
 * Walks the zstd frames' headers and block headers first (no decoding): a
 * window or declared content size over `limit` is refused before fzstd
 * allocates its window (it would take up to 2 GiB on a header's word).
 * Then streams the frames out block by block (at most 128 KiB each),
 * counting, so a bomb stops at the limit.
 */
function zstdDecompress(bytes: Buffer, limit: number): Buffer {
  zstdCheckFrames(bytes, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  const d = new ZstdDecompress((data) => {
    total += data.length;
    if (total > limit) throw tooLarge('zstd', limit);
    chunks.push(Buffer.from(data)); // a copy: fzstd's block buffers are its own
  });
  d.push(bytes, true);
  return Buffer.concat(chunks, total);
}

const ZSTD_MAGIC = 0xfd2fb528;

function zstdCheckFrames(bytes: Buffer, limit: number): void {
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) throw new Error(`no zstd frame at byte ${at}`);
    const magic = bytes.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      at += 8 + bytes.readUInt32LE(at + 4); // a skippable frame
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error(`no zstd frame at byte ${at}`);
    const fhd = bytes[at + 4]!;
    const singleSegment = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    let pos = at + 5;
    let window = 0;
    if (!singleSegment) {
      const wd = bytes[pos++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    pos += dictBytes;
    if (pos + fcsBytes > bytes.length) throw new Error('zstd frame header cut short');
    let fcs = 0;
    for (let i = 0; i < fcsBytes; i++) fcs += bytes[pos + i]! * 2 ** (8 * i);
    if (fcsBytes === 2) fcs += 256;
    pos += fcsBytes;
    if (fcsBytes > 0 && fcs > limit) throw tooLarge('zstd', limit);
    if (window > Math.max(limit, 8 * 1024 * 1024)) throw new Error(`zstd window of ${window} bytes, over the limit ${limit}`);
    for (;;) {
      if (pos + 3 > bytes.length) throw new Error('zstd frame cut short');
      const header = bytes[pos]! | (bytes[pos + 1]! << 8) | (bytes[pos + 2]! << 16);
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      pos += 3 + (type === 1 ? 1 : size); // RLE: one byte repeated `size` times
      if (header & 1) break;
    }
    pos += checksum ? 4 : 0;
    if (pos > bytes.length) throw new Error('zstd frame cut short');
    at = pos;
  }
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
