// Whole batches: build one (what a producer does; the broker needs it for
// control batches, tests and the load generator), or read one back record
// by record (features that look inside records: the console consumer, the
// HTTP API, RocketMQ receives, tests), decompressing a compressed one
// (compression.ts). The broker's plain produce and fetch paths use
// neither: they move batches as bytes, and never decompress.
import {
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  MAGIC_V2,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORDS_AT,
  batchCrcValid,
  compressionOf,
  makeAttributes,
  readBatchHeader,
  timestampTypeOf,
  writeBatchCrc,
  writeBatchHeader,
  type BatchHeader,
  type CompressionCodec,
  type TimestampType,
} from './batch-header.js';
import { compress, decompress } from './compression.js';
import { RecordBatchError } from './errors.js';
import { decodeRecords, recordBodyBytes, writeRecord, type KafkaRecord, type RecordHeader } from './record.js';
import { sizeOfVarInt } from './varint.js';

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds since the epoch; the batch's baseTimestamp when absent. */
  timestamp?: bigint;
  /** The record's index when absent; set it to leave gaps, as compaction does. */
  offsetDelta?: number;
}

export interface EncodeBatchInput {
  /** 0 from producers; the broker assigns the real one with setBaseOffset. */
  baseOffset?: bigint;
  baseTimestamp: bigint;
  /** The largest record timestamp when absent (baseTimestamp for no records). */
  maxTimestamp?: bigint;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  timestampType?: TimestampType;
  /** The last record's offsetDelta when absent (0 for no records). */
  lastOffsetDelta?: number;
  records: readonly RecordInput[];
  /** The records section compressed with this codec (default none); zstd needs Node 22.15+. */
  compression?: CompressionCodec;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: KafkaRecord[];
}

export interface DecodeBatchOptions {
  /** Check the CRC first (default true); skip it only for bytes validated already. */
  verifyCrc?: boolean;
  /** The most bytes a compressed batch's records may expand to (default MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
  /** The batch's header, read already by the caller (readBatchHeader(buf, at)): not read again. */
  header?: BatchHeader;
}

/** A complete, CRC-correct v2 batch (uncompressed unless `compression` says). */
export function encodeBatch(input: EncodeBatchInput): Buffer {
  const codec = input.compression ?? 'none';
  if (codec !== 'none') {
    const plain = encodeBatch({ ...input, compression: 'none' });
    const block = compress(codec, plain.subarray(RECORDS_AT));
    const buf = Buffer.alloc(RECORDS_AT + block.length);
    plain.copy(buf, 0, 0, RECORDS_AT);
    block.copy(buf, RECORDS_AT);
    const header = readBatchHeader(plain, 0);
    writeBatchHeader(buf, 0, { ...header, batchLength: buf.length - LOG_OVERHEAD_BYTES, attributes: header.attributes | makeAttributes({ compression: codec }) });
    writeBatchCrc(buf, 0);
    return buf;
  }
  const records = toRecords(input);
  const bodies = records.map(recordBodyBytes);
  let size = BATCH_HEADER_BYTES;
  for (const b of bodies) size += sizeOfVarInt(b) + b;

  let maxTimestamp = input.maxTimestamp;
  if (maxTimestamp === undefined) {
    maxTimestamp = input.baseTimestamp;
    for (const r of input.records) if (r.timestamp !== undefined && r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  const lastDelta = records.length === 0 ? 0 : records[records.length - 1]!.offsetDelta;
  const lastOffsetDelta = input.lastOffsetDelta ?? lastDelta;
  if (lastOffsetDelta < lastDelta) {
    throw new RangeError(`lastOffsetDelta ${lastOffsetDelta} is below the last record's offsetDelta ${lastDelta}`);
  }

  const buf = Buffer.alloc(size);
  writeBatchHeader(buf, 0, {
    baseOffset: input.baseOffset ?? 0n,
    batchLength: size - LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    magic: MAGIC_V2,
    crc: 0, // computed below, once the records are in place
    attributes: makeAttributes({
      compression: 'none',
      timestampType: input.timestampType ?? 'create-time',
      transactional: input.transactional ?? false,
      control: input.control ?? false,
    }),
    lastOffsetDelta,
    baseTimestamp: input.baseTimestamp,
    maxTimestamp,
    producerId: input.producerId ?? NO_PRODUCER_ID,
    producerEpoch: input.producerEpoch ?? NO_PRODUCER_EPOCH,
    baseSequence: input.baseSequence ?? NO_SEQUENCE,
    recordCount: records.length,
  });
  let pos = RECORDS_AT;
  records.forEach((r, i) => {
    pos = writeRecord(buf, pos, r, bodies[i]);
  });
  if (pos !== size) throw new Error(`batch: wrote ${pos} bytes, sized ${size}`);
  writeBatchCrc(buf, 0);
  return buf;
}

/**
 * Reads the batch at `at` with all its records, decompressing a compressed
 * one (the records' keys and values are then views of the decompressed
 * bytes). Throws RecordBatchError: CORRUPT_MESSAGE for missing bytes, a bad
 * CRC or a block that does not decompress, BATCH_TOO_LARGE for one that
 * would decompress beyond maxDecompressedBytes, UNSUPPORTED_MAGIC,
 * UNSUPPORTED_COMPRESSION for an unknown codec id, INVALID_RECORD for
 * records that break the format.
 */
export function decodeBatch(buf: Buffer, at = 0, options: DecodeBatchOptions = {}): DecodedBatch {
  const header = options.header ?? readBatchHeader(buf, at);
  const where = `batch at byte ${at}`;
  if (header.magic !== MAGIC_V2) {
    throw new RecordBatchError('UNSUPPORTED_MAGIC', `${where} has magic ${header.magic}; only magic 2 is supported`, at);
  }
  const size = header.batchLength + LOG_OVERHEAD_BYTES;
  if (size < BATCH_HEADER_BYTES || size > buf.length - at) {
    throw new RecordBatchError('CORRUPT_MESSAGE', `${where} declares ${size} bytes; ${buf.length - at} are present`, at);
  }
  if ((options.verifyCrc ?? true) && !batchCrcValid(buf, at)) {
    throw new RecordBatchError('CORRUPT_MESSAGE', `${where} fails its CRC`, at);
  }
  const codec = compressionOf(header.attributes);
  if (codec === 'unknown') {
    throw new RecordBatchError('UNSUPPORTED_COMPRESSION', `${where} has compression codec ${header.attributes & 7}, which no Kafka knows`, at);
  }
  let records: KafkaRecord[];
  try {
    if (codec === 'none') records = decodeRecords(buf, at + RECORDS_AT, at + size, header.recordCount);
    else {
      const plain = decompress(codec, buf.subarray(at + RECORDS_AT, at + size), options.maxDecompressedBytes);
      records = decodeRecords(plain, 0, plain.length, header.recordCount);
    }
  } catch (e) {
    if (e instanceof RecordBatchError) throw new RecordBatchError(e.code, `${where}: ${e.message}`, at);
    throw e;
  }
  checkOffsetDeltas(records, header, where, at);
  return { header, records };
}

/** The absolute offset of a record of the batch. */
export function recordOffset(header: BatchHeader, r: KafkaRecord): bigint {
  return header.baseOffset + BigInt(r.offsetDelta);
}

/**
 * The record's timestamp as a consumer sees it: with log-append time the
 * broker's time for the whole batch (maxTimestamp), else the producer's.
 */
export function recordTimestamp(header: BatchHeader, r: KafkaRecord): bigint {
  if (timestampTypeOf(header.attributes) === 'log-append-time') return header.maxTimestamp;
  return header.baseTimestamp + BigInt(r.timestampDelta);
}

function toRecords(input: EncodeBatchInput): KafkaRecord[] {
  let previous = -1;
  return input.records.map((r, i) => {
    const offsetDelta = r.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previous) {
      throw new RangeError(`record ${i}: offsetDelta ${offsetDelta} must be an integer above ${previous}`);
    }
    previous = offsetDelta;
    const delta = (r.timestamp ?? input.baseTimestamp) - input.baseTimestamp;
    if (delta > BigInt(Number.MAX_SAFE_INTEGER) || delta < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`record ${i}: timestamp is ${delta} ms from baseTimestamp, beyond ±2^53`);
    }
    return {
      offsetDelta,
      timestampDelta: Number(delta),
      key: r.key,
      value: r.value,
      headers: r.headers ?? [],
    };
  });
}

// Offsets must rise within the batch and stay within lastOffsetDelta, or
// offset lookups and the next batch's base offset go wrong.
function checkOffsetDeltas(records: KafkaRecord[], header: BatchHeader, where: string, at: number): void {
  let previous = -1;
  for (const r of records) {
    if (r.offsetDelta <= previous || r.offsetDelta > header.lastOffsetDelta) {
      throw new RecordBatchError(
        'INVALID_RECORD',
        `${where}: record offsetDelta ${r.offsetDelta} after ${previous}, lastOffsetDelta ${header.lastOffsetDelta}`,
        at,
      );
    }
    previous = r.offsetDelta;
  }
}
