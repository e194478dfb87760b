// What every engine does to a produce buffer before it touches disk: check
// every batch as Kafka checks a producer's (src/records validateBatches:
// size, magic, CRC, content), then write the assigned base offsets and the
// leader epoch in place. Both lie outside the CRC, so the bytes are stored
// exactly as the producer's CRC covers them. Nothing is changed unless all
// batches pass.
import { PARTITION_LEADER_EPOCH_AT, RecordBatchError, validateBatches, type RecordBatchErrorCode } from '../records/index.js';
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

export function prepareAppend(buf: Buffer, nextOffset: number, maxBatchBytes: number, origin: 'client' | 'broker' = 'client'): PreparedAppend {
  let checked;
  try {
    checked = validateBatches(buf, { maxBatchBytes, origin: origin === 'broker' ? 'log' : 'client' });
  } catch (err) {
    if (err instanceof RecordBatchError) throw new StorageError(CODES[err.code], err.message, { cause: err });
    throw err;
  }
  if (checked.length === 0) throw new StorageError('CORRUPT_MESSAGE', 'no record batch in the request');
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
  for (const b of batches) {
    buf.writeBigInt64BE(BigInt(b.baseOffset), b.at);
    // Stamped as a Kafka leader stamps every batch it appends; outside the CRC like the base offset.
    buf.writeInt32BE(LEADER_EPOCH, b.at + PARTITION_LEADER_EPOCH_AT);
  }
  return { batches, lastOffset: next - 1, nextOffset: next };
}
