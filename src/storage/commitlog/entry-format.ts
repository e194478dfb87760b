// One commit-log entry: a small header, then one Kafka record batch exactly
// as prepareAppend left it (base offset written, CRC untouched). Entries of
// every topic and queue follow each other in the same file. All integers are
// big-endian, like the batch after them.
//
//   byte 0 ┌──────────────────────────────┐
//          │ entryBytes           int32   │  header + batch (RocketMQ's TOTALSIZE)
//        4 ├──────────────────────────────┤
//          │ magic                uint32  │  ENTRY_MAGIC
//        8 ├──────────────────────────────┤
//          │ headerCrc            uint32  │  CRC-32C of bytes 0..8 and 12..headerEnd
//       12 ├──────────────────────────────┤
//          │ storeTimestampMs     int64   │  the engine's clock at append
//       20 ├──────────────────────────────┤
//          │ queueEpoch           uint32  │  which incarnation of the queue (queue-registry.ts)
//       24 ├──────────────────────────────┤
//          │ partition            int32   │  RocketMQ's queue id
//       28 ├──────────────────────────────┤
//          │ baseOffset           int64   │  queue offset of the batch's first record
//       36 ├──────────────────────────────┤
//          │ recordCount          int32   │  as in the batch header
//       40 ├──────────────────────────────┤
//          │ topicBytes           uint16  │  1..249
//       42 ├──────────────────────────────┤
//          │ topic                bytes   │  ASCII ([a-zA-Z0-9._-])
//  headerEnd ╞══════════════════════════════╡
//          │ Kafka record batch v2        │  entryBytes - headerEnd bytes; its own CRC
//          └──────────────────────────────┘  covers it
//
// The header has its own CRC so that recovery can tell a damaged header
// (whose entryBytes it must not follow) from a damaged batch; the batch CRC
// is Kafka's and is checked with batchCrcOk. The CRC skips its own four bytes
// rather than sitting at the end, so that a reader learns entryBytes and the
// topic length from the first 42 bytes it reads.
//
// Readers hand out only the batch bytes (the fetch path sends them to Kafka
// clients as they are), so two batches of one queue are never adjacent in
// the file: at least one header always lies between them.
import { crc32c } from '../../native/crc32c.js';
import { BATCH_HEADER_BYTES, writeInt64Number } from '../../records/index.js';

export const ENTRY_MAGIC = 0x4d51434c; // "MQCL"
export const ENTRY_BYTES_AT = 0;
export const ENTRY_MAGIC_AT = 4;
export const HEADER_CRC_AT = 8;
export const STORE_TIMESTAMP_AT = 12;
export const QUEUE_EPOCH_AT = 20;
export const PARTITION_AT = 24;
export const BASE_OFFSET_AT = 28;
export const RECORD_COUNT_AT = 36;
export const TOPIC_BYTES_AT = 40;
export const TOPIC_AT = 42;

/** The header without its topic. */
export const ENTRY_FIXED_BYTES = 42;
export const TOPIC_MAX_BYTES = 249;
export const ENTRY_HEADER_MAX_BYTES = ENTRY_FIXED_BYTES + TOPIC_MAX_BYTES;

export interface EntryHeader {
  entryBytes: number;
  headerBytes: number;
  storeTimestampMs: number;
  queueEpoch: number;
  partition: number;
  baseOffset: number;
  recordCount: number;
  topic: string;
}

/** Bytes of the header for `topic`: where the batch starts in the entry. */
export function headerBytesFor(topic: string): number {
  return ENTRY_FIXED_BYTES + Buffer.byteLength(topic, 'latin1');
}

function headerCrc(buf: Buffer, at: number, headerBytes: number): number {
  return crc32c(buf.subarray(at + STORE_TIMESTAMP_AT, at + headerBytes), crc32c(buf.subarray(at, at + HEADER_CRC_AT)));
}

/**
 * The entry headers of one queue: the fields that never change (magic,
 * epoch, partition, topic) are laid out once, and each entry writes the
 * rest over them. Measured 2026-12-01 (profiling appends with their writes
 * stubbed out): ~0.35 µs per header, where building each from scratch
 * (allocation, BigInt fields, two fresh CRC views) took ~1 µs, a tenth of
 * what the 16 KiB write after it costs.
 */
export class EntryHeaders {
  readonly headerBytes: number;
  private readonly buf: Buffer;
  private readonly crcHead: Buffer;
  private readonly crcTail: Buffer;

  constructor(topic: string, partition: number, queueEpoch: number) {
    this.headerBytes = headerBytesFor(topic);
    this.buf = Buffer.alloc(this.headerBytes);
    this.buf.writeUInt32BE(ENTRY_MAGIC, ENTRY_MAGIC_AT);
    this.buf.writeUInt32BE(queueEpoch, QUEUE_EPOCH_AT);
    this.buf.writeInt32BE(partition, PARTITION_AT);
    this.buf.writeUInt16BE(this.headerBytes - ENTRY_FIXED_BYTES, TOPIC_BYTES_AT);
    this.buf.write(topic, TOPIC_AT, 'latin1');
    this.crcHead = this.buf.subarray(0, HEADER_CRC_AT);
    this.crcTail = this.buf.subarray(STORE_TIMESTAMP_AT);
  }

  /**
   * The header of an entry whose batch is `batchBytes` long. Unless `own`,
   * the buffer is this object's and the next call rewrites it: write it out
   * first (the commit log's pwritev is synchronous).
   */
  encode(storeTimestampMs: number, baseOffset: number, recordCount: number, batchBytes: number, own = false): Buffer {
    const buf = own ? Buffer.from(this.buf) : this.buf;
    buf.writeInt32BE(this.headerBytes + batchBytes, ENTRY_BYTES_AT);
    writeInt64Number(buf, STORE_TIMESTAMP_AT, storeTimestampMs);
    writeInt64Number(buf, BASE_OFFSET_AT, baseOffset);
    buf.writeInt32BE(recordCount, RECORD_COUNT_AT);
    const crc = own ? headerCrc(buf, 0, this.headerBytes) : crc32c(this.crcTail, crc32c(this.crcHead));
    buf.writeUInt32BE(crc, HEADER_CRC_AT);
    return buf;
  }
}

/** The header of an entry whose batch is `batchBytes` long (a buffer of its own). */
export function encodeEntryHeader(h: Omit<EntryHeader, 'entryBytes' | 'headerBytes'>, batchBytes: number): Buffer {
  return new EntryHeaders(h.topic, h.partition, h.queueEpoch).encode(h.storeTimestampMs, h.baseOffset, h.recordCount, batchBytes, true);
}

/** Why bytes are not an entry: cut short (a torn write) or damaged. */
export type EntryDefect = { kind: 'torn' | 'corrupt'; why: string };

/**
 * Decodes and checks the header at `at`. `available` is how many bytes of
 * the file follow `at` (the header may say more than is there: torn); `buf`
 * must hold min(available, ENTRY_HEADER_MAX_BYTES) bytes from `at`.
 */
export function decodeEntryHeader(buf: Buffer, at: number, available: number): EntryHeader | EntryDefect {
  if (available < ENTRY_FIXED_BYTES) return { kind: 'torn', why: `${available} bytes, too few for an entry header` };
  const entryBytes = buf.readInt32BE(at + ENTRY_BYTES_AT);
  const magic = buf.readUInt32BE(at + ENTRY_MAGIC_AT);
  if (magic !== ENTRY_MAGIC) return { kind: 'corrupt', why: `bad entry magic 0x${magic.toString(16)}` };
  const topicBytes = buf.readUInt16BE(at + TOPIC_BYTES_AT);
  if (topicBytes < 1 || topicBytes > TOPIC_MAX_BYTES) return { kind: 'corrupt', why: `bad topic length ${topicBytes}` };
  const headerBytes = ENTRY_FIXED_BYTES + topicBytes;
  if (available < headerBytes) return { kind: 'torn', why: 'entry header cut short' };
  if (headerCrc(buf, at, headerBytes) !== buf.readUInt32BE(at + HEADER_CRC_AT)) return { kind: 'corrupt', why: 'entry header CRC mismatch' };
  if (entryBytes < headerBytes + BATCH_HEADER_BYTES) return { kind: 'corrupt', why: `entry size ${entryBytes} too small` };
  if (entryBytes > available) return { kind: 'torn', why: `entry of ${entryBytes} bytes runs past the end of the file` };
  return {
    entryBytes,
    headerBytes,
    storeTimestampMs: Number(buf.readBigInt64BE(at + STORE_TIMESTAMP_AT)),
    queueEpoch: buf.readUInt32BE(at + QUEUE_EPOCH_AT),
    partition: buf.readInt32BE(at + PARTITION_AT),
    baseOffset: Number(buf.readBigInt64BE(at + BASE_OFFSET_AT)),
    recordCount: buf.readInt32BE(at + RECORD_COUNT_AT),
    topic: buf.toString('latin1', at + TOPIC_AT, at + headerBytes),
  };
}

export function isDefect<T extends object>(h: T | EntryDefect): h is EntryDefect {
  return 'why' in h;
}
