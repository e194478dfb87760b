// What every engine does to a produce buffer before it touches disk: check
// every batch as Kafka checks a producer's (src/records validateBatches:
// size, magic, CRC, content), then write the assigned base offsets and the
// leader epoch in place. Both lie outside the CRC, so the bytes are stored
// exactly as the producer's CRC covers them. Nothing is changed unless all
// batches pass. The broker's own records (origin 'internal': the pop
// journal's, two appends per RocketMQ receive and ack) are framed, not
// checked again.
import { BASE_OFFSET_AT, BATCH_HEADER_BYTES, LAST_OFFSET_DELTA_AT, MAX_TIMESTAMP_AT, PARTITION_LEADER_EPOCH_AT, RECORD_COUNT_AT, RecordBatchError, batchBytesAt, readInt64Number, validateBatches, writeInt64Number, type RecordBatchErrorCode } from '../records/index.js';
import type { AppendOrigin } from './types.js';
import { StorageError, type StorageErrorCode } from './errors.js';

/** The one leader's epoch: a single node never changes leader (Metadata and OffsetForLeaderEpoch say 0 too). */
export const LEADER_EPOCH = 0;

export interface PreparedBatch {
  at: number;
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  recordCount: number;
  maxTimestamp: number;
}

export interface PreparedAppend {
  batches: PreparedBatch[];
  lastOffset: number;
  nextOffset: number;
}

const CODES: Record<RecordBatchErrorCode, StorageErrorCode> = {
  CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
  BATCH_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  UNSUPPORTED_MAGIC: 'INVALID_RECORD',
  INVALID_RECORD: 'INVALID_RECORD',
  UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION_TYPE',
};

export function prepareAppend(buf: Buffer, nextOffset: number, maxBatchBytes: number, origin: AppendOrigin = 'client'): PreparedAppend {
  const batches = origin === 'internal' ? internalBatches(buf, nextOffset, maxBatchBytes) : checkedBatches(buf, nextOffset, maxBatchBytes, origin);
  if (batches.length === 0) throw new StorageError('CORRUPT_MESSAGE', 'no record batch in the request');
  for (const b of batches) {
    writeInt64Number(buf, b.at + BASE_OFFSET_AT, b.baseOffset);
    // Stamped as a Kafka leader stamps every batch it appends; outside the CRC like the base offset.
    buf.writeInt32BE(LEADER_EPOCH, b.at + PARTITION_LEADER_EPOCH_AT);
  }
  const last = batches[batches.length - 1]!;
  const next = last.baseOffset + last.lastOffsetDelta + 1;
  return { batches, lastOffset: next - 1, nextOffset: next };
}

function checkedBatches(buf: Buffer, nextOffset: number, maxBatchBytes: number, origin: 'client' | 'broker'): PreparedBatch[] {
  let checked;
  try {
    checked = validateBatches(buf, { maxBatchBytes, origin: origin === 'broker' ? 'log' : 'client' });
  } catch (err) {
    if (err instanceof RecordBatchError) throw new StorageError(CODES[err.code], err.message, { cause: err });
    throw err;
  }
  const batches: PreparedBatch[] = [];
  let next = nextOffset;
  for (const b of checked) {
    batches.push({
      at: b.position,
      size: b.length,
      baseOffset: next,
      lastOffsetDelta: b.header.lastOffsetDelta,
      recordCount: b.header.recordCount,
      maxTimestamp: Number(b.header.maxTimestamp),
    });
    next += b.header.lastOffsetDelta + 1;
  }
  return batches;
}

/**
 * The batches of a buffer the broker built from its own state (the pop
 * journal's, journal-records.ts, whose tests hold its batches to
 * validateBatches): only their headers are read, no CRC or record is
 * checked. Their framing still is: a batch that does not fit is refused,
 * and so is one larger than the log takes (recovery would cut the log at it).
 */
function internalBatches(buf: Buffer, nextOffset: number, maxBatchBytes: number): PreparedBatch[] {
  const batches: PreparedBatch[] = [];
  let next = nextOffset;
  for (let at = 0; at < buf.length; ) {
    const size = buf.length - at < BATCH_HEADER_BYTES ? -1 : batchBytesAt(buf, at);
    if (size < BATCH_HEADER_BYTES || size > buf.length - at) throw new StorageError('CORRUPT_MESSAGE', `an internal batch at byte ${at} declares ${size} bytes; ${buf.length - at} are present`);
    if (size > maxBatchBytes) throw new StorageError('MESSAGE_TOO_LARGE', `an internal batch of ${size} bytes is larger than the log takes (${maxBatchBytes})`);
    const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
    batches.push({ at, size, baseOffset: next, lastOffsetDelta, recordCount: buf.readInt32BE(at + RECORD_COUNT_AT), maxTimestamp: readInt64Number(buf, at + MAX_TIMESTAMP_AT) });
    next += lastOffsetDelta + 1;
    at += size;
  }
  return batches;
}
