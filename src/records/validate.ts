// Checks concatenated record batches without decoding a single record: what
// the produce path runs on every request, and what log recovery runs over a
// segment's tail. Each batch is checked, in this order:
//
//   1. 12 bytes for baseOffset + batchLength       else torn
//   2. batchLength ≥ 49 (a header, no records)     else CORRUPT_MESSAGE
//   3. magic == 2 (when byte 16 is present)        else UNSUPPORTED_MAGIC
//   4. batchLength + 12 ≤ maxBatchBytes            else BATCH_TOO_LARGE
//   5. the whole batch is present                  else torn
//   6. CRC-32C of bytes 21 .. end matches          else CORRUPT_MESSAGE
//   7. header content is consistent                else INVALID_RECORD
//
// "torn" is where scanValidPrefix stops quietly (a crash mid-append leaves
// exactly that); validateBatches calls it CORRUPT_MESSAGE, because a
// request's bytes are all there or none are. A corrupt batchLength that
// points past the end also reads as torn: either way the log is truncated
// at the same byte.
//
// Magic comes before size because a v0/v1 message set's size means
// something else, and the client should hear about the format. The CRC comes
// before content so that damage in transit reads as CORRUPT_MESSAGE (which
// the client retries) and only intact-but-wrong bytes read as INVALID_RECORD
// (which it must not). maxBatchBytes counts the whole batch, as Kafka's
// max.message.bytes does.
//
// Speed: the checks return small integers and only a failure builds an
// error, so a good batch costs one CRC pass and a few reads; the only
// allocations are the result objects and the subarray view handed to crc32c.
import { crc32c } from '../native/crc32c.js';
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  BATCH_LENGTH_MIN_BYTES,
  BASE_SEQUENCE_AT,
  COMPRESSION_CODEC_MASK,
  COMPRESSION_CODECS,
  CONTROL_BIT,
  CRC_AT,
  CRC_COVERED_FROM,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAGIC_V2,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  readBatchHeader,
  type BatchHeader,
} from './batch-header.js';
import { RecordBatchError } from './errors.js';

/**
 * The fewest bytes one uncompressed record can take: length, attributes,
 * timestampDelta, offsetDelta, key length, value length, header count, one
 * byte each. Bounds recordCount by batch size without reading the records.
 */
export const RECORD_MIN_BYTES = 7;

export interface ValidatedBatch {
  /** Where the batch starts in the buffer. */
  position: number;
  /** Whole bytes of the batch, batchLength + 12. */
  length: number;
  header: BatchHeader;
}

export interface ValidateOptions {
  /** The largest batch accepted, whole (Kafka's max.message.bytes). */
  maxBatchBytes: number;
  /**
   * 'log' (the default) accepts what a log may hold after compaction: empty
   * batches, gaps in offset deltas, control batches. 'client' adds the rules
   * Kafka applies to batches a producer sends: at least one record, offset
   * deltas 0..n-1 with no gap, no control batches, and a sequence number
   * whenever there is a producer id.
   */
  origin?: 'log' | 'client';
}

export type ScanStop = 'end' | 'torn' | 'corrupt';

export interface ScanResult {
  /** Bytes from the start that are whole, valid batches. */
  validBytes: number;
  batches: number;
  /** end: every byte is valid; torn: a batch runs past the end; corrupt: a batch is bad. */
  stop: ScanStop;
  /** Why a corrupt batch was refused; null unless stop is 'corrupt'. */
  error: RecordBatchError | null;
}

// Outcomes of checkBatchAt, negative so that any positive result is a size.
const TORN = -1;
const TOO_SHORT = -2;
const BAD_MAGIC = -3;
const TOO_LARGE = -4;
const BAD_CRC = -5;
const BAD_CONTENT = -6;

/**
 * Validates every batch in `buf`, which holds zero or more batches back to
 * back and nothing else. Throws RecordBatchError (with the batch's position)
 * at the first bad one, a batch cut short by the end of `buf` included.
 * Produce v3+ allows exactly one batch per partition: the caller checks
 * the count, since a log segment holds many.
 */
export function validateBatches(buf: Buffer, options: ValidateOptions): ValidatedBatch[] {
  const maxBatchBytes = checkedMax(options.maxBatchBytes);
  const client = options.origin === 'client';
  const batches: ValidatedBatch[] = [];
  let at = 0;
  while (at < buf.length) {
    const size = checkBatchAt(buf, at, maxBatchBytes, client);
    if (size < 0) throw describeFailure(buf, at, size, maxBatchBytes, client);
    batches.push({ position: at, length: size, header: readBatchHeader(buf, at) });
    at += size;
  }
  return batches;
}

/**
 * The longest prefix of `buf` made of whole valid batches, for log recovery:
 * everything after `validBytes` is to be truncated. Never throws for bad
 * data; allocates nothing per batch but the view handed to crc32c.
 */
export function scanValidPrefix(buf: Buffer, maxBatchBytes: number): ScanResult {
  const max = checkedMax(maxBatchBytes);
  let at = 0;
  let batches = 0;
  while (at < buf.length) {
    const size = checkBatchAt(buf, at, max, false);
    if (size === TORN) return { validBytes: at, batches, stop: 'torn', error: null };
    if (size < 0) {
      return { validBytes: at, batches, stop: 'corrupt', error: describeFailure(buf, at, size, max, false) };
    }
    at += size;
    batches++;
  }
  return { validBytes: at, batches, stop: 'end', error: null };
}

// The whole check; returns the batch's size or one of the outcomes above.
function checkBatchAt(buf: Buffer, at: number, maxBatchBytes: number, client: boolean): number {
  const remaining = buf.length - at;
  if (remaining < LOG_OVERHEAD_BYTES) return TORN;
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH_AT);
  if (batchLength < BATCH_LENGTH_MIN_BYTES) return TOO_SHORT;
  if (remaining > MAGIC_AT && buf[at + MAGIC_AT] !== MAGIC_V2) return BAD_MAGIC;
  const size = batchLength + LOG_OVERHEAD_BYTES;
  if (size > maxBatchBytes) return TOO_LARGE;
  if (size > remaining) return TORN;
  const crc = crc32c(buf.subarray(at + CRC_COVERED_FROM, at + size));
  if (crc !== buf.readUInt32BE(at + CRC_AT)) return BAD_CRC;
  if (contentProblem(buf, at, size, client) !== null) return BAD_CONTENT;
  return size;
}

// What is wrong with an intact batch's header fields, or null. Strings are
// constants or built only when there is a problem.
function contentProblem(buf: Buffer, at: number, size: number, client: boolean): string | null {
  const attributes = buf.readInt16BE(at + ATTRIBUTES_AT);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  const recordCount = buf.readInt32BE(at + RECORD_COUNT_AT);
  const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
  if (codec >= COMPRESSION_CODECS.length) return `unknown compression codec ${codec}`;
  if (recordCount < 0) return `negative record count ${recordCount}`;
  // Compaction may remove records but never renumbers them, so the last
  // delta can exceed count - 1 (and an emptied batch keeps its delta ≥ 0).
  if (lastOffsetDelta < Math.max(recordCount - 1, 0)) {
    return `lastOffsetDelta ${lastOffsetDelta} is less than recordCount ${recordCount} - 1`;
  }
  if (codec === 0 && recordCount > (size - BATCH_HEADER_BYTES) / RECORD_MIN_BYTES) {
    return `recordCount ${recordCount} cannot fit in ${size - BATCH_HEADER_BYTES} bytes of records`;
  }
  if (!client) return null;
  if (recordCount === 0) return 'a producer batch must hold at least one record';
  if (lastOffsetDelta !== recordCount - 1) {
    return `lastOffsetDelta ${lastOffsetDelta} must be recordCount ${recordCount} - 1 in a producer batch`;
  }
  if (attributes & CONTROL_BIT) return 'producers may not write control batches';
  // The sign of an int64 is the sign of its high 32 bits: no bigint needed.
  if (buf.readInt32BE(at + PRODUCER_ID_AT) >= 0 && buf.readInt32BE(at + BASE_SEQUENCE_AT) < 0) {
    return 'a batch with a producer id needs a base sequence ≥ 0';
  }
  return null;
}

// Builds the error for a failed check; off the fast path.
function describeFailure(
  buf: Buffer,
  at: number,
  outcome: number,
  maxBatchBytes: number,
  client: boolean,
): RecordBatchError {
  const where = `batch at byte ${at}`;
  const remaining = buf.length - at;
  switch (outcome) {
    case TORN: {
      const declared = remaining < LOG_OVERHEAD_BYTES ? '' : ` of ${batchBytes(buf, at)}`;
      return new RecordBatchError('CORRUPT_MESSAGE', `${where} is truncated: ${remaining} bytes${declared}`, at);
    }
    case TOO_SHORT:
      return new RecordBatchError(
        'CORRUPT_MESSAGE',
        `${where} has batchLength ${buf.readInt32BE(at + BATCH_LENGTH_AT)}, less than the ${BATCH_LENGTH_MIN_BYTES} of an empty batch`,
        at,
      );
    case BAD_MAGIC:
      return new RecordBatchError(
        'UNSUPPORTED_MAGIC',
        `${where} has magic ${buf.readInt8(at + MAGIC_AT)}; only record batch v2 (magic 2) is supported`,
        at,
      );
    case TOO_LARGE:
      return new RecordBatchError(
        'BATCH_TOO_LARGE',
        `${where} is ${batchBytes(buf, at)} bytes, over the limit of ${maxBatchBytes}`,
        at,
      );
    case BAD_CRC: {
      const stored = buf.readUInt32BE(at + CRC_AT);
      const actual = crc32c(buf.subarray(at + CRC_COVERED_FROM, at + batchBytes(buf, at)));
      return new RecordBatchError('CORRUPT_MESSAGE', `${where} fails its CRC: stored ${hex(stored)}, computed ${hex(actual)}`, at);
    }
    case BAD_CONTENT:
      return new RecordBatchError('INVALID_RECORD', `${where}: ${contentProblem(buf, at, batchBytes(buf, at), client)}`, at);
    default:
      throw new Error(`unreachable: check outcome ${outcome}`);
  }
}

function batchBytes(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function checkedMax(maxBatchBytes: number): number {
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < BATCH_HEADER_BYTES) {
    throw new RangeError(`maxBatchBytes must be an integer ≥ ${BATCH_HEADER_BYTES}, not ${maxBatchBytes}`);
  }
  return maxBatchBytes;
}
