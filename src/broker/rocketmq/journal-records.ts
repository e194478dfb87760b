// The pop journal's records as they are written (the format: pop-record.ts):
// entries of one queue in a row make one record, entries for consecutive
// offsets in one state one entry, and a flush's records one batch.
import { BASE_TIMESTAMP_AT, BATCH_HEADER_BYTES, BATCH_LENGTH_AT, CRC_AT, CRC_COVERED_FROM, LAST_OFFSET_DELTA_AT, LOG_OVERHEAD_BYTES, MAGIC_V2, MAX_TIMESTAMP_AT, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT, RECORD_COUNT_AT, writeBatchHeader, writeInt64Number } from '../../records/index.js';
import { crc32c } from '../../native/crc32c.js';
import { DEAD_LETTER, DONE, MAX_RUN, NO_DEADLINE, SAME_TEXTS, SAME_TIMES, V3 } from './pop-record.js';
import type { Outstanding } from './queue-state.js';

function writeText(b: Buffer, at: number, s: string | null): number {
  if (s === null) return b.writeInt32BE(-1, at);
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      n = b.utf8Write(s, at + 4);
      break;
    }
    b[at + 4 + i] = c;
  }
  b.writeInt32BE(n, at);
  return at + 4 + n;
}

declare global {
  interface Buffer {
    utf8Write(s: string, offset: number): number;
  }
}

/** Bytes of a non-negative int32 as a record's zigzag varint. */
function zigzagSize(n: number): number {
  return n < 64 ? 1 : n < 8192 ? 2 : n < 1048576 ? 3 : n < 134217728 ? 4 : 5;
}

function writeZigzag(b: Buffer, at: number, n: number): number {
  let u = n * 2;
  while (u >= 128) {
    b[at++] = (u % 128) | 128;
    u = Math.floor(u / 128);
  }
  b[at++] = u;
  return at;
}

/** A journal batch's header with the fields batch() fills left 0: no producer, leader epoch -1, magic 2, attributes 0. */
const HEADER = Buffer.alloc(BATCH_HEADER_BYTES);
writeBatchHeader(HEADER, 0, { baseOffset: 0n, batchLength: 0, partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH, magic: MAGIC_V2, crc: 0, attributes: 0, lastOffsetDelta: 0, baseTimestamp: 0n, maxTimestamp: 0n, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, recordCount: 0 });

/** A record's bytes besides its key and value, at most: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD_BYTES = 24;

/**
 * Journal records written one after another, as the records section of a
 * batch (what encodeBatch writes for records { key, value, headers: [] }
 * with no timestamps of their own): entries for one queue in a row go into
 * one record, and entries for consecutive offsets in the same state into
 * one entry (a run); batch() makes the batch of those written since the
 * last. No batch passes `maxBatchBytes` (the log refuses one that does, and
 * recovery would cut the log at it): records are split between batches,
 * and a queue's entries between records, where one would (a single entry
 * larger than that cannot be written, and is refused at append).
 */
export class JournalRecords {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  /** Records in the batch being filled, which starts at batchStart in buf. */
  private count = 0;
  private batchStart = 0;
  /** The batches filled before it in this flush: where each one's records end in buf, and how many it holds. */
  private sealedEnds: number[] = [];
  private sealedCounts: number[] = [];
  /** The record being filled: its queue's key and its value so far. */
  private open: Buffer | null = null;
  private value = Buffer.allocUnsafe(4 * 1024);
  private valuePos = 0;
  /** The open record's last entry not done: its times and texts, which the next may share. */
  private hasPrev = false;
  private prevDeadline = 0;
  private prevRenewMs = 0;
  private prevRenewUntil = 0;
  private prevToken = '';
  private prevGroup: string | null = null;
  private prevRenewFor: string | null = null;
  /** The run not yet written (runCount 0: none): offsets runFirst on, done with (run null) or in the state `run`, copied when the run began (the objects change later). */
  private runFirst = 0;
  private runCount = 0;
  private run: Outstanding | null = null;

  constructor(private readonly maxBatchBytes = Infinity) {}

  isEmpty(): boolean {
    // A sealed batch is always followed by a record in the next: count is 0 only when nothing is pending.
    return this.count === 0 && this.open === null;
  }

  /** An entry: `offset` of the queue whose key is `prefix` (queuePrefix; the same Buffer for the same queue), its state as it is now (null: done with). */
  add(prefix: Buffer, offset: number, o: Outstanding | null): void {
    if (this.open !== prefix) {
      this.close();
      this.open = prefix;
      this.value[0] = V3;
      this.valuePos = 1;
      this.hasPrev = false;
    } else if (this.runCount > 0 && this.runCount < MAX_RUN && offset === this.runFirst + this.runCount && sameState(this.run, o)) {
      this.runCount++;
      return;
    }
    this.writeRun();
    this.runFirst = offset;
    this.runCount = 1;
    this.run = o === null ? null : { ...o };
  }

  /** Writes the open run as one entry of the open record. */
  private writeRun(): void {
    const n = this.runCount;
    if (n === 0) return;
    this.runCount = 0;
    const r = this.run;
    if (r === null) {
      this.fitEntry(13);
      this.valueRoom(13);
      const v = this.value;
      v[this.valuePos] = DONE;
      this.valuePos = v.writeUInt32BE(n, writeInt64Number(v, this.valuePos + 1, this.runFirst));
      return;
    }
    const finite = Number.isFinite(r.deadline);
    const deadline = finite ? r.deadline : 0;
    // The three texts at most (UTF-8, three bytes a UTF-16 unit, behind their lengths).
    const textBytes = 12 + 3 * (r.token.length + (r.messageGroup?.length ?? 0) + (r.renewFor?.length ?? 0));
    // Its largest form (nothing shared with the entry before): a record split before it shares nothing.
    this.fitEntry(17 + 24 + textBytes);
    const sameTimes = this.hasPrev && this.prevDeadline === deadline && this.prevRenewMs === r.renewMs && this.prevRenewUntil === r.renewUntil;
    const sameTexts = this.hasPrev && this.prevToken === r.token && this.prevGroup === r.messageGroup && this.prevRenewFor === r.renewFor;
    this.valueRoom(17 + (sameTimes ? 0 : 24) + (sameTexts ? 0 : textBytes));
    const v = this.value;
    let at = this.valuePos;
    v[at] = (r.toDeadLetter ? DEAD_LETTER : 0) | (finite ? 0 : NO_DEADLINE) | (sameTimes ? SAME_TIMES : 0) | (sameTexts ? SAME_TEXTS : 0);
    at = writeInt64Number(v, at + 1, this.runFirst);
    at = v.writeUInt32BE(n, at);
    at = v.writeUInt32BE(r.attempt, at);
    if (!sameTimes) {
      at = v.writeDoubleBE(deadline, at);
      at = v.writeDoubleBE(r.renewMs, at);
      at = v.writeDoubleBE(r.renewUntil, at);
      this.prevDeadline = deadline;
      this.prevRenewMs = r.renewMs;
      this.prevRenewUntil = r.renewUntil;
    }
    if (!sameTexts) {
      at = writeText(v, at, r.token);
      at = writeText(v, at, r.messageGroup);
      at = writeText(v, at, r.renewFor);
      this.prevToken = r.token;
      this.prevGroup = r.messageGroup;
      this.prevRenewFor = r.renewFor;
    }
    this.hasPrev = true;
    this.valuePos = at;
  }

  /**
   * The records added since the last call, as one batch of this timestamp
   * (ms, a safe integer), or several back to back where one would pass
   * maxBatchBytes; null with none.
   */
  batch(timestampMs: number): Buffer | null {
    this.close();
    if (this.count === 0) return null;
    this.sealedEnds.push(this.pos);
    this.sealedCounts.push(this.count);
    // Every batch holds a record: one is sealed only as a record goes into the next.
    const out = Buffer.allocUnsafe(this.sealedEnds.length * BATCH_HEADER_BYTES + this.pos);
    let at = 0;
    let from = 0;
    for (let i = 0; i < this.sealedEnds.length; i++) {
      const end = this.sealedEnds[i]!;
      const count = this.sealedCounts[i]!;
      // The header as writeBatchHeader writes it for { baseOffset 0, no
      // producer, these times }, without its BigInt writes: a template, then
      // the fields that change (one batch per receive and per ack).
      HEADER.copy(out, at);
      out.writeInt32BE(BATCH_HEADER_BYTES + end - from - LOG_OVERHEAD_BYTES, at + BATCH_LENGTH_AT);
      out.writeInt32BE(count - 1, at + LAST_OFFSET_DELTA_AT);
      writeInt64Number(out, at + BASE_TIMESTAMP_AT, timestampMs);
      writeInt64Number(out, at + MAX_TIMESTAMP_AT, timestampMs);
      out.writeInt32BE(count, at + RECORD_COUNT_AT);
      this.buf.copy(out, at + RECORDS_AT, from, end);
      out.writeUInt32BE(crc32c(out.subarray(at + CRC_COVERED_FROM, at + BATCH_HEADER_BYTES + end - from)), at + CRC_AT);
      at += BATCH_HEADER_BYTES + end - from;
      from = end;
    }
    this.pos = 0;
    this.count = 0;
    this.batchStart = 0;
    this.sealedEnds = [];
    this.sealedCounts = [];
    return out;
  }

  /** Before an entry of at most `bytes`: the open record is written out first if the entry would take it past what a batch holds. */
  private fitEntry(bytes: number): void {
    const key = this.open!;
    if (this.valuePos <= 1 || BATCH_HEADER_BYTES + RECORD_OVERHEAD_BYTES + key.length + this.valuePos + bytes <= this.maxBatchBytes) return;
    this.writeRecord(key);
    this.value[0] = V3;
    this.valuePos = 1;
    this.hasPrev = false;
  }

  /** Writes the open record (its run last) into the batch's records. */
  private close(): void {
    const key = this.open;
    if (key === null) return;
    this.writeRun();
    this.open = null;
    this.writeRecord(key);
  }

  /** Writes the open record's value so far as a record of `key`, in a new batch where the one being filled has no room for it. */
  private writeRecord(key: Buffer): void {
    const valueBytes = this.valuePos;
    if (this.count > 0 && BATCH_HEADER_BYTES + this.pos - this.batchStart + RECORD_OVERHEAD_BYTES + key.length + valueBytes > this.maxBatchBytes) {
      this.sealedEnds.push(this.pos);
      this.sealedCounts.push(this.count);
      this.batchStart = this.pos;
      this.count = 0;
    }
    const body = 3 + zigzagSize(this.count) + zigzagSize(key.length) + key.length + zigzagSize(valueBytes) + valueBytes;
    this.room(5 + body);
    const b = this.buf;
    let at = writeZigzag(b, this.pos, body);
    b[at++] = 0; // attributes
    b[at++] = 0; // timestamp delta
    at = writeZigzag(b, at, this.count);
    at = writeZigzag(b, at, key.length);
    at += key.copy(b, at);
    at = writeZigzag(b, at, valueBytes);
    at += this.value.copy(b, at, 0, valueBytes);
    b[at++] = 0; // no headers
    this.pos = at;
    this.count++;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.buf = grown(this.buf, this.pos, n);
  }

  private valueRoom(n: number): void {
    if (this.valuePos + n <= this.value.length) return;
    this.value = grown(this.value, this.valuePos, n);
  }
}

function grown(b: Buffer, used: number, more: number): Buffer<ArrayBuffer> {
  const g = Buffer.allocUnsafe(Math.max(2 * b.length, used + more));
  b.copy(g, 0, 0, used);
  return g;
}

/** Whether `o` is in the state `run` holds (null: done with), field for field. */
function sameState(run: Outstanding | null, o: Outstanding | null): boolean {
  if (run === null || o === null) return run === o;
  return (
    o.attempt === run.attempt &&
    o.deadline === run.deadline &&
    o.token === run.token &&
    o.toDeadLetter === run.toDeadLetter &&
    o.renewMs === run.renewMs &&
    o.renewUntil === run.renewUntil &&
    o.messageGroup === run.messageGroup &&
    o.renewFor === run.renewFor
  );
}
