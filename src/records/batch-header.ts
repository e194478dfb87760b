// The header of a Kafka record batch, format v2 (magic 2, Kafka 0.11+): the
// unit a producer sends, the log stores byte for byte, and a consumer
// fetches. All integers are big-endian.
//
//   byte 0 ┌──────────────────────────────┐
//          │ baseOffset            int64  │  assigned by the broker, in place
//        8 ├──────────────────────────────┤
//          │ batchLength           int32  │  bytes after this field
//       12 ├──────────────────────────────┤
//          │ partitionLeaderEpoch  int32  │  -1 from producers
//       16 ├──────────────────────────────┤
//          │ magic                 int8   │  2 (at byte 16 in every format,
//       17 ├──────────────────────────────┤     so old message sets show)
//          │ crc                   uint32 │  CRC-32C of bytes 21 .. end
//       21 ╞══════════════════════════════╡ ─┐
//          │ attributes            int16  │  │
//       23 ├──────────────────────────────┤  │
//          │ lastOffsetDelta       int32  │  │
//       27 ├──────────────────────────────┤  │
//          │ baseTimestamp         int64  │  │
//       35 ├──────────────────────────────┤  │ covered
//          │ maxTimestamp          int64  │  │ by the
//       43 ├──────────────────────────────┤  │ crc
//          │ producerId            int64  │  │
//       51 ├──────────────────────────────┤  │
//          │ producerEpoch         int16  │  │
//       53 ├──────────────────────────────┤  │
//          │ baseSequence          int32  │  │
//       57 ├──────────────────────────────┤  │
//          │ recordCount           int32  │  │
//       61 ├──────────────────────────────┤  │
//          │ records …                    │  │  (one compressed block when
//          └──────────────────────────────┘ ─┘   the codec is not none)
//
// The CRC starts at attributes so that the broker can assign baseOffset
// (and a leader can stamp partitionLeaderEpoch) without recomputing it: the
// produce path checks the CRC once and then never touches the records.
//
// attributes: bits 0-2 compression codec (0 none, 1 gzip, 2 snappy, 3 lz4,
// 4 zstd), bit 3 timestamp type (0 create time, 1 log append time), bit 4
// transactional, bit 5 control batch, bit 6 delete horizon set (KIP-534:
// baseTimestamp then holds the compaction delete horizon). Bits 7-15 unused.
import { crc32c } from '../native/crc32c.js';
import { RecordBatchError } from './errors.js';

export const BASE_OFFSET_AT = 0;
export const BATCH_LENGTH_AT = 8;
export const PARTITION_LEADER_EPOCH_AT = 12;
export const MAGIC_AT = 16;
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
export const BASE_TIMESTAMP_AT = 27;
export const MAX_TIMESTAMP_AT = 35;
export const PRODUCER_ID_AT = 43;
export const PRODUCER_EPOCH_AT = 51;
export const BASE_SEQUENCE_AT = 53;
export const RECORD_COUNT_AT = 57;
export const RECORDS_AT = 61;

export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes batchLength does not count (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD_BYTES = 12;
/** The smallest batchLength: a header with no records. */
export const BATCH_LENGTH_MIN_BYTES = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
/** The CRC covers from here to the end of the batch. */
export const CRC_COVERED_FROM = ATTRIBUTES_AT;

export const MAGIC_V2 = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

/** Codec ids as the attributes carry them; the index is the id. */
export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];
export type TimestampType = 'create-time' | 'log-append-time';

/** The producer fields' "none" values, for batches from non-idempotent producers. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** As stored, unsigned. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the 61 header bytes at `at`, as they are: no check of magic, CRC or
 * consistency (that is validate.ts's job). Throws CORRUPT_MESSAGE if fewer
 * than 61 bytes remain.
 */
export function readBatchHeader(buf: Buffer, at: number): BatchHeader {
  assertHeaderFits(buf, at);
  return {
    baseOffset: buf.readBigInt64BE(at + BASE_OFFSET_AT),
    batchLength: buf.readInt32BE(at + BATCH_LENGTH_AT),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH_AT),
    magic: buf.readInt8(at + MAGIC_AT),
    crc: buf.readUInt32BE(at + CRC_AT),
    attributes: buf.readInt16BE(at + ATTRIBUTES_AT),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA_AT),
    baseTimestamp: buf.readBigInt64BE(at + BASE_TIMESTAMP_AT),
    maxTimestamp: buf.readBigInt64BE(at + MAX_TIMESTAMP_AT),
    producerId: buf.readBigInt64BE(at + PRODUCER_ID_AT),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH_AT),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE_AT),
    recordCount: buf.readInt32BE(at + RECORD_COUNT_AT),
  };
}

/**
 * Writes all 61 header bytes at `at`, the CRC field as given (compute it with
 * writeBatchCrc once the records are in place). Node's writers range-check
 * every field, so a value that does not fit its type throws here.
 */
export function writeBatchHeader(buf: Buffer, at: number, h: BatchHeader): void {
  assertHeaderFits(buf, at);
  buf.writeBigInt64BE(h.baseOffset, at + BASE_OFFSET_AT);
  buf.writeInt32BE(h.batchLength, at + BATCH_LENGTH_AT);
  buf.writeInt32BE(h.partitionLeaderEpoch, at + PARTITION_LEADER_EPOCH_AT);
  buf.writeInt8(h.magic, at + MAGIC_AT);
  buf.writeUInt32BE(h.crc, at + CRC_AT);
  buf.writeInt16BE(h.attributes, at + ATTRIBUTES_AT);
  buf.writeInt32BE(h.lastOffsetDelta, at + LAST_OFFSET_DELTA_AT);
  buf.writeBigInt64BE(h.baseTimestamp, at + BASE_TIMESTAMP_AT);
  buf.writeBigInt64BE(h.maxTimestamp, at + MAX_TIMESTAMP_AT);
  buf.writeBigInt64BE(h.producerId, at + PRODUCER_ID_AT);
  buf.writeInt16BE(h.producerEpoch, at + PRODUCER_EPOCH_AT);
  buf.writeInt32BE(h.baseSequence, at + BASE_SEQUENCE_AT);
  buf.writeInt32BE(h.recordCount, at + RECORD_COUNT_AT);
}

/**
 * Writes the base offset in place. The CRC stays valid because it does not
 * cover bytes 0-20; this is all the produce path does to a batch.
 */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, at + BASE_OFFSET_AT);
}

/** Whole bytes of the batch at `at` (batchLength + 12), read from its header. */
export function batchBytesAt(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES;
}

/**
 * CRC-32C of the batch at `at`, over bytes 21 to the end its batchLength
 * gives. Throws CORRUPT_MESSAGE if that end is not inside `buf`.
 */
export function computeBatchCrc(buf: Buffer, at: number): number {
  assertHeaderFits(buf, at);
  const size = batchBytesAt(buf, at);
  if (size < BATCH_HEADER_BYTES || at + size > buf.length) {
    throw new RecordBatchError(
      'CORRUPT_MESSAGE',
      `batch at byte ${at} declares ${size} bytes; ${buf.length - at} are present`,
      at,
    );
  }
  return crc32c(buf.subarray(at + CRC_COVERED_FROM, at + size));
}

/** Computes the CRC and stores it in the header; returns it. */
export function writeBatchCrc(buf: Buffer, at: number): number {
  const crc = computeBatchCrc(buf, at);
  buf.writeUInt32BE(crc, at + CRC_AT);
  return crc;
}

/** True if the whole batch is in `buf` and its stored CRC matches its bytes. */
export function batchCrcValid(buf: Buffer, at: number): boolean {
  if (at < 0 || buf.length - at < BATCH_HEADER_BYTES) return false;
  const size = batchBytesAt(buf, at);
  if (size < BATCH_HEADER_BYTES || size > buf.length - at) return false;
  return crc32c(buf.subarray(at + CRC_COVERED_FROM, at + size)) === buf.readUInt32BE(at + CRC_AT);
}

/** The offset of the batch's last record (or of its last one before compaction). */
export function lastOffsetOf(h: BatchHeader): bigint {
  return h.baseOffset + BigInt(h.lastOffsetDelta);
}

export function compressionOf(attributes: number): CompressionCodec | 'unknown' {
  return COMPRESSION_CODECS[attributes & COMPRESSION_CODEC_MASK] ?? 'unknown';
}

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_BIT ? 'log-append-time' : 'create-time';
}

export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

export interface AttributeFlags {
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
}

export function makeAttributes(flags: AttributeFlags): number {
  const codec = COMPRESSION_CODECS.indexOf(flags.compression ?? 'none');
  return (
    codec |
    (flags.timestampType === 'log-append-time' ? TIMESTAMP_TYPE_BIT : 0) |
    (flags.transactional ? TRANSACTIONAL_BIT : 0) |
    (flags.control ? CONTROL_BIT : 0)
  );
}

function assertHeaderFits(buf: Buffer, at: number): void {
  if (!Number.isInteger(at) || at < 0 || buf.length - at < BATCH_HEADER_BYTES) {
    throw new RecordBatchError(
      'CORRUPT_MESSAGE',
      `a batch header needs ${BATCH_HEADER_BYTES} bytes at byte ${at}; ${Math.max(0, buf.length - at)} are present`,
      at,
    );
  }
}
