// A queue's records as RocketMQ consumers read them: whole batches from the
// one holding an offset, decoded (a compressed batch from a Kafka producer
// decompressed, bounded as decodeBatch bounds it); one that does not decode
// is refused with a status, not served. Kafka transactions are read as a
// read_committed Kafka consumer reads them: up to the last stable offset,
// markers and aborted transactions' records skipped. Uncompressed batches
// are scanned by the addon (rmqScanBatches for a run of plain ones in one
// call, rmqScanRecords for a transactional one the filter keeps): a record
// is decoded into an object only when something asks for it (a tag filter,
// a FIFO group, the JavaScript encoder), and its bytes go to the native
// delivery encoder (rmqEncodeDeliveries) as they lie in the log: read from
// the log file's mapping where the read is one file's (mappedBytesAt), not
// copied into memory first.
import { BATCH_HEADER_BYTES, BATCH_LENGTH_AT, CommittedFilter, LOG_OVERHEAD_BYTES, RECORDS_AT, batchCrcValid, compressionOf, decodeBatch, readBatchHeader, readRecord, recordOffset, recordTimestamp, timestampTypeOf, type BatchHeader, type KafkaRecord } from '../../records/index.js';
import { native } from '../../native/addon.js';
import { mappedBytesAt } from '../../storage/read-bytes.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../../storage/types.js';
import type { PartitionTxns } from '../txn/partition-txns.js';
import { PopError } from './pop-error.js';

const EMPTY = Buffer.alloc(0);

/** Bytes a body lies in, told apart by identity. */
export type Backing = { readonly byteLength: number };

/**
 * A record read from a queue: its offset (a number: the pop state's, below
 * 2^53) and timestamp, its bytes where they lie, the record object made on
 * first use.
 */
export class StoredRecord {
  private decoded: KafkaRecord | null;
  /** Its timestamp in ms as a number; NaN past 2^53 (timestampMs holds it exactly). */
  readonly timestampNumber: number;
  private exactTimestamp: bigint | null;

  constructor(
    readonly offset: number,
    timestampMs: number | bigint,
    /** The bytes the record lies in (null: decoded by JavaScript, no bytes kept). */
    readonly source: Buffer | null,
    /** Where the record (its length varint first) starts and ends in `source`. */
    readonly start: number,
    readonly end: number,
    /** Where its value starts in `source`. */
    readonly valueAt: number,
    /** Its value's length (-1: null). */
    readonly valueLength: number,
    /** Where its headers start in `source` (after their count), and how many: what the delivery encoder reads (-1: no bytes kept). */
    readonly headersAt: number,
    readonly headerCount: number,
    decoded: KafkaRecord | null = null,
  ) {
    this.decoded = decoded;
    if (typeof timestampMs === 'number') {
      this.timestampNumber = timestampMs;
      this.exactTimestamp = null;
    } else {
      this.timestampNumber = timestampMs >= -MAX_SAFE && timestampMs <= MAX_SAFE ? Number(timestampMs) : NaN;
      this.exactTimestamp = timestampMs;
    }
  }

  static of(offset: bigint, timestampMs: bigint, record: KafkaRecord): StoredRecord {
    return new StoredRecord(Number(offset), timestampMs, null, 0, 0, 0, record.value === null ? -1 : record.value.length, -1, 0, record);
  }

  /** Its timestamp in ms, exactly. */
  get timestampMs(): bigint {
    return (this.exactTimestamp ??= BigInt(this.timestampNumber));
  }

  get record(): KafkaRecord {
    // The scan has checked these bytes as readRecord checks them.
    return (this.decoded ??= readRecord({ buf: this.source!, pos: this.start, end: this.end }));
  }

  /** Its body's length, without making a view of it. */
  get bodyBytes(): number {
    return this.source === null || this.decoded !== null ? this.body.length : Math.max(0, this.valueLength);
  }

  /**
   * The memory its body lies in: the read's bytes (a view of the log's
   * mapping, whose ArrayBuffer is a chunk of the file, not memory the read
   * holds), or a decoded body's ArrayBuffer.
   */
  get backing(): Backing {
    return this.source === null ? this.body.buffer : this.source;
  }

  /** Its value, the message body (empty for a null value). */
  get body(): Buffer {
    if (this.decoded !== null || this.source === null) return this.record.value ?? EMPTY;
    return this.valueLength <= 0 ? EMPTY : this.source.subarray(this.valueAt, this.valueAt + this.valueLength);
  }
}

export interface QueueRead {
  records: StoredRecord[];
  /** The offset after the last whole batch read. */
  end: number;
  /** Bytes per record of the last batch read (0: none). */
  bytesPerRecord: number;
  /** Log bytes read. */
  bytesRead: number;
}

/**
 * Bytes to read for `want` more records of a queue whose last batch held
 * `bytesPerRecord` a record: half a record more, so that records a few
 * bytes longer than the last (a body CRC of more digits) do not leave the
 * last one wanted to a second read and lookup (README, twenty-second
 * pass). What is read past them costs a view's bytes, not a copy.
 */
export function bytesForRecords(want: number, bytesPerRecord: number): number {
  return want * bytesPerRecord + Math.ceil(bytesPerRecord / 2);
}

/** Records from the batch holding `offset` on, up to `maxBytes` (at least that batch); `end` is the offset after the last whole batch. */
export function readQueueRecords(engine: StorageEngine, tp: TopicPartition, from: number, maxBytes: number, txns: PartitionTxns): QueueRead {
  const key = tpKey(tp);
  const offset = BigInt(from);
  const lso = txns.lastStableOffset(key, engine.highWatermark(tp));
  if (offset >= lso) return { records: [], end: from, bytesPerRecord: 0, bytesRead: 0 };
  const bytes = mappedBytesAt(engine, tp, offset, Math.max(1, maxBytes), { maxOffset: lso });
  const read = batchRecords(bytes, offset, new CommittedFilter(txns.abortedIn(key, offset, lso)), `${tp.topic}-${tp.partition}`);
  // Not a spread into a new object: V8 defines a spread's properties one by one, slowly (1% of a receive's CPU).
  return { records: read.records, end: read.end, bytesPerRecord: read.bytesPerRecord, bytesRead: bytes.length };
}

/**
 * The records of the whole batches in `bytes` (read from the batch holding
 * `offset`) that a read_committed consumer sees, from the batch holding
 * `offset` on; `end` is the offset after the last whole batch, `where`
 * names the queue in errors.
 */
export function batchRecords(bytes: Buffer, offset: bigint, committed: CommittedFilter, where: string): Omit<QueueRead, 'bytesRead'> {
  const records: StoredRecord[] = [];
  let end = offset;
  let bytesPerRecord = 0;
  let at = 0;
  const plainFrom = offset <= MAX_SAFE ? Number(offset) : -1;
  while (at + BATCH_HEADER_BYTES <= bytes.length) {
    if (plainFrom >= 0) {
      // The plain batches from here, scanned by the addon in one call.
      if (table.length < STRIDE * Math.ceil(bytes.length / RECORD_MIN_BYTES)) table = new Float64Array(STRIDE * Math.ceil(bytes.length / RECORD_MIN_BYTES));
      const rows = native.rmqScanBatches(bytes, at, plainFrom, table, info);
      for (let i = 0; i < rows; i++) {
        const row = i * STRIDE;
        records.push(new StoredRecord(table[row + 2]!, table[row + 3]!, bytes, table[row]!, table[row + 1]!, table[row + 4]!, table[row + 5]!, table[row + 6]!, table[row + 7]!));
      }
      if (info[2]! >= 0) {
        end = BigInt(info[2]!);
        bytesPerRecord = info[3]!;
      }
      at = info[0]!;
      if (at + BATCH_HEADER_BYTES > bytes.length) break;
      // Where a read ends, mid-batch as a rule: that batch's length says so, without readBatchHeader's BigInts.
      const length = bytes.readInt32BE(at + BATCH_LENGTH_AT);
      if (length >= 0 && at + LOG_OVERHEAD_BYTES + length > bytes.length) break;
    }
    // A batch the addon leaves: transactional, a control batch, compressed, or one decodeBatch is to say what is wrong with.
    const h = readBatchHeader(bytes, at);
    const size = h.batchLength + LOG_OVERHEAD_BYTES;
    if (size < BATCH_HEADER_BYTES) throw new PopError('MESSAGE_CORRUPTED', `${where} offset ${h.baseOffset}: a batch of ${size} bytes, shorter than its header`);
    if (at + size > bytes.length) break;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (committed.keep(h, bytes, at) && last >= offset && !scanBatch(bytes, at, h, records)) {
      let decoded;
      try {
        decoded = decodeBatch(bytes, at, { header: h });
      } catch (err) {
        throw new PopError('MESSAGE_CORRUPTED', `${where} offset ${h.baseOffset}: ${(err as Error).message}`);
      }
      for (const r of decoded.records) records.push(StoredRecord.of(recordOffset(decoded.header, r), recordTimestamp(decoded.header, r), r));
    }
    end = last + 1n;
    at += size;
    bytesPerRecord = Math.max(1, Math.round(size / (h.lastOffsetDelta + 1)));
  }
  return { records, end: Number(end), bytesPerRecord };
}

/** One row per record, reused: the scans fill it and the rows are read at once. */
let table = new Float64Array(8 * 64);
/** rmq_scan.cc's rows: record start and end, offset, timestamp, value start and length, headers' start and count. */
const STRIDE = 8;
/** rmqScanBatches's byte reached, rows, offset after and bytes per record of its last batch. */
const info = new Float64Array(4);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** A record's least bytes with its length varint: the most rows a read can need is its length over this. */
const RECORD_MIN_BYTES = 7;

/**
 * The records of an uncompressed batch that passes its checks, appended to
 * `out` by the addon's scan; false leaves the batch to decodeBatch (which
 * says what is wrong with it, or decodes a compressed one).
 */
export function scanBatch(bytes: Buffer, at: number, h: BatchHeader, out: StoredRecord[]): boolean {
  const size = h.batchLength + LOG_OVERHEAD_BYTES;
  if (at + size > bytes.length || h.magic !== 2 || size < BATCH_HEADER_BYTES || compressionOf(h.attributes) !== 'none' || h.recordCount < 0 || !batchCrcValid(bytes, at)) return false;
  if (table.length < STRIDE * h.recordCount) table = new Float64Array(STRIDE * h.recordCount);
  const n = native.rmqScanRecords(bytes, at + RECORDS_AT, at + size, h.recordCount, h.lastOffsetDelta, table);
  if (n < 0) return false;
  const appendTime = timestampTypeOf(h.attributes) === 'log-append-time';
  for (let i = 0; i < n; i++) {
    const row = i * STRIDE;
    const timestampMs = appendTime ? h.maxTimestamp : h.baseTimestamp + BigInt(table[row + 3]!);
    out.push(new StoredRecord(Number(h.baseOffset) + table[row + 2]!, timestampMs, bytes, table[row]!, table[row + 1]!, table[row + 4]!, table[row + 5]!, table[row + 6]!, table[row + 7]!));
  }
  return true;
}
