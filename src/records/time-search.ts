// The first record of one batch whose timestamp is at or after a time: the
// inner loop of ListOffsets by time (Kafka's FileRecords.searchForTimestamp
// runs it on the first batch whose maxTimestamp reaches the time, and goes
// on to the next batch if no record does). Both storage engines call it on
// the bytes of the batch they found.
//
// A record's timestamp is the batch's maxTimestamp under log-append time
// (the broker's time for the whole batch), else baseTimestamp plus the
// record's timestampDelta. Records need not be in time order inside a
// batch, so the answer is the first in offset order, not the smallest.
//
// Only the three varints at the front of each record are read; keys, values
// and headers are skipped by the record's length. gzip batches are inflated
// with node:zlib. Node has no snappy, lz4 or zstd, and a batch whose records
// do not parse cannot be looked into either: for those the answer is the
// batch itself (its base offset and maxTimestamp), which is what a lookup
// blind to records answers, and never later than the right record.
import { gunzipSync } from 'node:zlib';
import {
  ATTRIBUTES_AT,
  BASE_OFFSET_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  COMPRESSION_CODEC_MASK,
  LOG_OVERHEAD_BYTES,
  MAX_TIMESTAMP_AT,
  RECORD_COUNT_AT,
  RECORDS_AT,
  TIMESTAMP_TYPE_BIT,
} from './batch-header.js';
import { RECORD_BODY_MIN_BYTES } from './record.js';
import { readVarInt, readVarLongNumber, type Cursor } from './varint.js';

export interface RecordAtTime {
  offset: number;
  /** The record's own timestamp (>= the time asked for). */
  timestamp: number;
}

const GZIP = 1;
/**
 * Most bytes a gzip batch may inflate to here. A batch is at most
 * message.max.bytes compressed; this bounds what a hostile one costs.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/**
 * The first record, in offset order, of the whole batch at `at` whose
 * timestamp is >= `timestampMs`, or null if none is (or the batch has no
 * records). The batch's CRC is not checked: the engines stored it checked.
 */
export function firstRecordAtOrAfter(buf: Buffer, at: number, timestampMs: number): RecordAtTime | null {
  const size = buf.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES;
  const baseOffset = readInt64(buf, at + BASE_OFFSET_AT);
  const maxTimestamp = readInt64(buf, at + MAX_TIMESTAMP_AT);
  const count = buf.readInt32BE(at + RECORD_COUNT_AT);
  if (maxTimestamp < timestampMs || count <= 0 || size < BATCH_HEADER_BYTES || at + size > buf.length) return null;
  const attributes = buf.readInt16BE(at + ATTRIBUTES_AT);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  const whole: RecordAtTime = { offset: baseOffset, timestamp: maxTimestamp };
  let records: Cursor;
  if (codec === 0) records = { buf, pos: at + RECORDS_AT, end: at + size };
  else if (codec === GZIP) {
    const inflated = inflate(buf.subarray(at + RECORDS_AT, at + size));
    if (inflated === null) return whole;
    records = { buf: inflated, pos: 0, end: inflated.length };
  } else return whole;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const baseTimestamp = readInt64(buf, at + BASE_TIMESTAMP_AT);
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarInt(records);
      const next = records.pos + length;
      if (length < RECORD_BODY_MIN_BYTES || next > records.end) return whole;
      records.pos++; // attributes
      const timestampDelta = readVarLongNumber(records);
      const offsetDelta = readVarInt(records);
      if (records.pos > next) return whole;
      const timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
      if (timestamp >= timestampMs) return { offset: baseOffset + offsetDelta, timestamp };
      records.pos = next;
    }
  } catch {
    return whole; // a varint that does not parse
  }
  return null;
}

function inflate(bytes: Buffer): Buffer | null {
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    return null;
  }
}

/** An int64 that holds an offset or a time in ms: exact below 2^53, as both always are. */
function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 2 ** 32 + buf.readUInt32BE(at + 4);
}
