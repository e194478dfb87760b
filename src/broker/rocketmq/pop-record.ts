// The pop journal's records. Version 3 (written since 2026-12-04) holds
// many messages of one queue in one record, as RocketMQ's pop checkpoint
// covers a pop's range: a receive's deliveries, or an ack's, are one record,
// and a run of consecutive offsets in the same state is one entry (a
// receive of 32 is one entry of about 50 bytes, an ack of 32 one of 13).
//   key    u8 version 3, u16 group length, group (UTF-8), u16 topic length,
//          topic, u32 partition
//   value  u8 version 3, then entries to its end, in the order they happened:
//          u8 flags (1: done with, 2: bound for the DLQ, 4: no deadline,
//          8: times as the entry before, 16: texts as the entry before),
//          i64 first offset, u32 count (1 to MAX_RUN: the entry is about
//          offsets first to first + count - 1, each in the same state);
//          unless done, u32 attempt; unless flag 8, f64 deadline ms, f64
//          renew ms, f64 renew until ms; unless flag 16, token, message
//          group, renew client id: each i32 length (-1: none) and UTF-8
//          ("the entry before": the record's previous entry not done)
// Version 2 (read, written 2026-12-03 to 12-04): the same key; the value's
// version byte 2 and its entries without a count (one offset each).
// Version 1 (read, no longer written): one message a record.
//   key    u8 version 1, group, topic, partition as above, i64 offset
//   value  u8 version 1, u8 flags (1: bound for the DLQ, 2: no deadline),
//          u32 attempt, f64 deadline ms, f64 renew ms, f64 renew until ms,
//          then handle, message group, renew client id as texts above
//   no value (a tombstone): done with
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC_V2, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT, writeBatchCrc, writeBatchHeader } from '../../records/index.js';
import { MAX_OFFSET, type Outstanding } from './queue-state.js';
import { tokenOf } from './receipt-handle.js';

const V1 = 1;
const V2 = 2;
const V3 = 3;
/** The most offsets one entry is about: a longer run is written as several entries, and a longer one read is refused as corrupt. */
export const MAX_RUN = 65_536;
const V1_DEAD_LETTER = 1;
const V1_NO_DEADLINE = 2;
const DONE = 1;
const DEAD_LETTER = 2;
const NO_DEADLINE = 4;
const SAME_TIMES = 8;
const SAME_TEXTS = 16;

export interface PopQueueKey {
  group: string;
  topic: string;
  partition: number;
  /** Version 1's: the one message its record is about; null for versions 2 and 3 (their entries carry offsets). */
  offset: bigint | null;
}

/** A queue's record key, made once per queue. */
export function queuePrefix(group: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(group);
  const t = Buffer.from(topic);
  const b = Buffer.allocUnsafe(1 + 2 + g.length + 2 + t.length + 4);
  let at = b.writeUInt8(V3, 0);
  at = b.writeUInt16BE(g.length, at);
  at += g.copy(b, at);
  at = b.writeUInt16BE(t.length, at);
  at += t.copy(b, at);
  b.writeUInt32BE(partition, at);
  return b;
}

export function decodeKey(b: Buffer): PopQueueKey {
  if (b[0] !== V1 && b[0] !== V2 && b[0] !== V3) throw new Error(`pop journal key of version ${b[0]}: this broker reads versions ${V1} to ${V3}`);
  let at = 1;
  const gLen = b.readUInt16BE(at);
  const group = b.toString('utf8', (at += 2), (at += gLen));
  const tLen = b.readUInt16BE(at);
  const topic = b.toString('utf8', (at += 2), (at += tLen));
  const partition = b.readUInt32BE(at);
  return { group, topic, partition, offset: b[0] === V1 ? b.readBigInt64BE(at + 4) : null };
}

/**
 * Calls `visit` for each message a record is about, in order: its state
 * (an object of its own), or null once done with. A version 1 record (its
 * key's offset given) has one; a version 2 record one per entry, a version
 * 3 record as many as its entries' counts.
 */
export function readEntries(keyOffset: bigint | null, value: Buffer | null, visit: (offset: number, state: Outstanding | null) => void): void {
  if (keyOffset !== null) return visit(safeOffset(keyOffset), value === null ? null : decodeV1State(value));
  const version = value?.[0];
  if (value === null || (version !== V2 && version !== V3)) throw new Error(`pop journal value of version ${version ?? 'none'} under a version ${V2} or ${V3} key`);
  const counted = version === V3;
  const texts = { at: 1 };
  let deadline = 0;
  let renewMs = 0;
  let renewUntil = 0;
  let token = '';
  let messageGroup: string | null = null;
  let renewFor: string | null = null;
  let at = 1;
  while (at < value.length) {
    const flags = value[at]!;
    const first = safeOffset(value.readBigInt64BE(at + 1));
    at += 9;
    let count = 1;
    if (counted) {
      count = value.readUInt32BE(at);
      at += 4;
      if (count < 1 || count > MAX_RUN || count - 1 > Number.MAX_SAFE_INTEGER - first) throw new RangeError(`pop journal record: an entry about ${count} offsets from ${first} (1 to ${MAX_RUN}, below 2^53)`);
    }
    if (flags & DONE) {
      for (let i = 0; i < count; i++) visit(first + i, null);
      continue;
    }
    const attempt = value.readUInt32BE(at);
    at += 4;
    if (!(flags & SAME_TIMES)) {
      deadline = value.readDoubleBE(at);
      renewMs = value.readDoubleBE(at + 8);
      renewUntil = value.readDoubleBE(at + 16);
      at += 24;
    }
    if (!(flags & SAME_TEXTS)) {
      texts.at = at;
      token = readText(value, texts) ?? '';
      messageGroup = readText(value, texts);
      renewFor = readText(value, texts);
      at = texts.at;
    }
    for (let i = 0; i < count; i++) {
      visit(first + i, { attempt, deadline: flags & NO_DEADLINE ? 0 : deadline, renewMs, renewUntil, token, messageGroup, renewFor, toDeadLetter: (flags & DEAD_LETTER) !== 0 });
    }
  }
  if (at !== value.length) throw new Error(`pop journal record: an entry runs ${at - value.length} bytes past its end`);
}

function readText(b: Buffer, cursor: { at: number }): string | null {
  const len = b.readInt32BE(cursor.at);
  cursor.at += 4;
  if (len < 0) return null;
  if (cursor.at + len > b.length) throw new RangeError(`pop journal record: a text of ${len} bytes runs past its end`);
  return b.toString('utf8', cursor.at, (cursor.at += len));
}

/** A version 1 value; one that was moving to the DLQ is due at once (deadline 0). */
function decodeV1State(b: Buffer): Outstanding {
  if (b[0] !== V1) throw new Error(`pop journal value of version ${b[0]} under a version ${V1} key`);
  const flags = b[1]!;
  const cursor = { at: 30 };
  const handle = readText(b, cursor) ?? '';
  const messageGroup = readText(b, cursor);
  const renewFor = readText(b, cursor);
  return {
    attempt: b.readUInt32BE(2),
    deadline: flags & V1_NO_DEADLINE ? 0 : b.readDoubleBE(6),
    renewMs: b.readDoubleBE(14),
    renewUntil: b.readDoubleBE(22),
    token: tokenOf(handle),
    messageGroup,
    renewFor,
    toDeadLetter: (flags & V1_DEAD_LETTER) !== 0,
  };
}

/** Buffer.byteLength(s), counted here for ASCII (tokens always are; groups and client ids mostly): no call into C++. */
function utf8Length(s: string | null): number {
  if (s === null) return 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s);
  return s.length;
}

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

const TWO_32 = 2 ** 32;

/** An offset as the queue state keeps it: a number (queues past 2^53 are refused before anything is recorded). */
function safeOffset(offset: bigint): number {
  if (offset < 0n || offset > MAX_OFFSET) throw new RangeError(`pop journal record: offset ${offset} is outside 0 to 2^53 - 1`);
  return Number(offset);
}

/** An i64 of an offset from 0 to 2^53 - 1, without BigInt arithmetic. */
function writeOffset(b: Buffer, at: number, offset: number): number {
  const hi = Math.floor(offset / TWO_32);
  b.writeUInt32BE(hi, at);
  b.writeUInt32BE(offset - hi * TWO_32, at + 4);
  return at + 8;
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

/**
 * Journal records written one after another, as the records section of a
 * batch (what encodeBatch writes for records { key, value, headers: [] }
 * with no timestamps of their own): entries for one queue in a row go into
 * one record, and entries for consecutive offsets in the same state into
 * one entry (a run); batch() makes the batch of those written since the last.
 */
export class JournalRecords {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  private count = 0;
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
  /** The run not yet written (runCount 0: none): offsets runFirst on, in the state below, copied when the run began (the objects change later). */
  private runFirst = 0;
  private runCount = 0;
  private runDone = false;
  private runAttempt = 0;
  private runToDeadLetter = false;
  private runDeadline = 0;
  private runRenewMs = 0;
  private runRenewUntil = 0;
  private runToken = '';
  private runGroup: string | null = null;
  private runRenewFor: string | null = null;

  isEmpty(): boolean {
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
    } else if (this.runCount > 0 && this.runCount < MAX_RUN && offset === this.runFirst + this.runCount && this.continuesRun(o)) {
      this.runCount++;
      return;
    }
    this.writeRun();
    this.runFirst = offset;
    this.runCount = 1;
    this.runDone = o === null;
    if (o === null) return;
    this.runAttempt = o.attempt;
    this.runToDeadLetter = o.toDeadLetter;
    this.runDeadline = o.deadline;
    this.runRenewMs = o.renewMs;
    this.runRenewUntil = o.renewUntil;
    this.runToken = o.token;
    this.runGroup = o.messageGroup;
    this.runRenewFor = o.renewFor;
  }

  private continuesRun(o: Outstanding | null): boolean {
    if (o === null) return this.runDone;
    return (
      !this.runDone &&
      o.attempt === this.runAttempt &&
      o.deadline === this.runDeadline &&
      o.token === this.runToken &&
      o.toDeadLetter === this.runToDeadLetter &&
      o.renewMs === this.runRenewMs &&
      o.renewUntil === this.runRenewUntil &&
      o.messageGroup === this.runGroup &&
      o.renewFor === this.runRenewFor
    );
  }

  /** Writes the open run as one entry of the open record. */
  private writeRun(): void {
    const n = this.runCount;
    if (n === 0) return;
    this.runCount = 0;
    if (this.runDone) {
      this.valueRoom(13);
      const v = this.value;
      v[this.valuePos] = DONE;
      this.valuePos = v.writeUInt32BE(n, writeOffset(v, this.valuePos + 1, this.runFirst));
      return;
    }
    const finite = Number.isFinite(this.runDeadline);
    const deadline = finite ? this.runDeadline : 0;
    const sameTimes = this.hasPrev && this.prevDeadline === deadline && this.prevRenewMs === this.runRenewMs && this.prevRenewUntil === this.runRenewUntil;
    const sameTexts = this.hasPrev && this.prevToken === this.runToken && this.prevGroup === this.runGroup && this.prevRenewFor === this.runRenewFor;
    this.valueRoom(17 + (sameTimes ? 0 : 24) + (sameTexts ? 0 : 12 + 3 * (this.runToken.length + (this.runGroup?.length ?? 0) + (this.runRenewFor?.length ?? 0))));
    const v = this.value;
    let at = this.valuePos;
    v[at] = (this.runToDeadLetter ? DEAD_LETTER : 0) | (finite ? 0 : NO_DEADLINE) | (sameTimes ? SAME_TIMES : 0) | (sameTexts ? SAME_TEXTS : 0);
    at = writeOffset(v, at + 1, this.runFirst);
    at = v.writeUInt32BE(n, at);
    at = v.writeUInt32BE(this.runAttempt, at);
    if (!sameTimes) {
      at = v.writeDoubleBE(deadline, at);
      at = v.writeDoubleBE(this.runRenewMs, at);
      at = v.writeDoubleBE(this.runRenewUntil, at);
      this.prevDeadline = deadline;
      this.prevRenewMs = this.runRenewMs;
      this.prevRenewUntil = this.runRenewUntil;
    }
    if (!sameTexts) {
      at = writeText(v, at, this.runToken);
      at = writeText(v, at, this.runGroup);
      at = writeText(v, at, this.runRenewFor);
      this.prevToken = this.runToken;
      this.prevGroup = this.runGroup;
      this.prevRenewFor = this.runRenewFor;
    }
    this.hasPrev = true;
    this.valuePos = at;
  }

  /** The records added since the last batch, as one batch of this timestamp; null with none. */
  batch(timestampMs: bigint): Buffer | null {
    this.close();
    if (this.count === 0) return null;
    const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + this.pos);
    writeBatchHeader(out, 0, {
      baseOffset: 0n,
      batchLength: out.length - LOG_OVERHEAD_BYTES,
      partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
      magic: MAGIC_V2,
      crc: 0,
      attributes: 0,
      lastOffsetDelta: this.count - 1,
      baseTimestamp: timestampMs,
      maxTimestamp: timestampMs,
      producerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      baseSequence: NO_SEQUENCE,
      recordCount: this.count,
    });
    this.buf.copy(out, RECORDS_AT, 0, this.pos);
    writeBatchCrc(out, 0);
    this.pos = 0;
    this.count = 0;
    return out;
  }

  /** Writes the open record (its run last) into the batch's records. */
  private close(): void {
    const key = this.open;
    if (key === null) return;
    this.writeRun();
    this.open = null;
    const valueBytes = this.valuePos;
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
