// Reading the engines' files independently of the engines: batches checked
// with an independent CRC-32C (@node-rs/crc32), against the bytes the
// workload says each offset holds. Used for the durable floor (what the
// synced bytes of a crash state hold) and for checking what recovery left.
import { crc32c } from '@node-rs/crc32';
import { BATCH_HEADER_BYTES, CRC_AT, CRC_COVERED_FROM, decodeBatch, LOG_OVERHEAD_BYTES, MAGIC_AT, MAGIC_V2 } from '../../../src/records/index.js';
import { decodeEntryHeader, isDefect } from '../../../src/storage/commitlog/entry-format.js';
import { recordTimestamp, recordValue } from '../../fixtures/powerloss-workload.mjs';

export interface Batch {
  /** Where it starts in its file (segmented) or in the commit log (global). */
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** The batch at `at` if it is whole and its CRC-32C matches, else null. */
export function checkedBatch(buf: Buffer, at: number): Batch | null {
  if (buf.length - at < BATCH_HEADER_BYTES) return null;
  const size = buf.readInt32BE(at + 8) + LOG_OVERHEAD_BYTES;
  if (size < BATCH_HEADER_BYTES || at + size > buf.length || buf[at + MAGIC_AT] !== MAGIC_V2) return null;
  if (crc32c(buf.subarray(at + CRC_COVERED_FROM, at + size)) !== buf.readUInt32BE(at + CRC_AT)) return null;
  const baseOffset = Number(buf.readBigInt64BE(at));
  return { position: at, size, baseOffset, lastOffset: baseOffset + buf.readInt32BE(at + 23), maxTimestamp: Number(buf.readBigInt64BE(at + 35)) };
}

/** Why the batch's records are not what the workload appended to `partition` at its offsets, or null. */
export function wrongContent(bytes: Buffer, partition: number): string | null {
  let decoded;
  try {
    decoded = decodeBatch(bytes, 0, { verifyCrc: false });
  } catch (err) {
    return `records do not decode: ${(err as Error).message}`;
  }
  const base = Number(decoded.header.baseOffset);
  if (decoded.records.length !== decoded.header.lastOffsetDelta + 1) return `${decoded.records.length} records for lastOffsetDelta ${decoded.header.lastOffsetDelta}`;
  for (const r of decoded.records) {
    const o = base + r.offsetDelta;
    if (!r.value?.equals(recordValue(partition, o))) return `offset ${o} holds another value: ${r.value?.toString().slice(0, 24)}`;
    const ts = decoded.header.baseTimestamp + BigInt(r.timestampDelta);
    if (ts !== recordTimestamp(o)) return `offset ${o} has timestamp ${ts}`;
  }
  return null;
}

/** Whole, CRC-correct batches from the start of a segment's log, with offsets running on from `base`. */
export function segmentBatches(log: Buffer, base: number): { batches: Batch[]; end: number; next: number } {
  const batches: Batch[] = [];
  let pos = 0;
  let next = base;
  for (let b = checkedBatch(log, pos); b !== null && b.baseOffset === next; b = checkedBatch(log, pos)) {
    batches.push(b);
    pos += b.size;
    next = b.lastOffset + 1;
  }
  return { batches, end: pos, next };
}

export interface LogEntry {
  partition: number;
  topic: string;
  batch: Batch;
}

/** Valid entries from the start of a commit-log file that begins at global `start`; `end` is where they stop. */
export function commitLogEntries(file: Buffer, start: number): { entries: LogEntry[]; end: number } {
  const entries: LogEntry[] = [];
  let pos = 0;
  while (pos < file.length) {
    const h = decodeEntryHeader(file, pos, file.length - pos);
    if (isDefect(h)) break;
    const b = checkedBatch(file.subarray(0, pos + h.entryBytes), pos + h.headerBytes);
    if (b === null || b.position + b.size !== pos + h.entryBytes || b.baseOffset !== h.baseOffset) break;
    entries.push({ partition: h.partition, topic: h.topic, batch: { ...b, position: start + b.position } });
    pos += h.entryBytes;
  }
  return { entries, end: pos };
}

export const SEGMENT_LOG = /^(\d{20})\.log$/;
export const COMMITLOG_FILE = /^commitlog\/(\d{20})$/;
