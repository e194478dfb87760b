// The pop journal's records, in a small binary form: JSON cost about 5 µs a
// message on every delivery and ack, a third of a receive's broker CPU.
//   key    u8 version 1, u16 group length, group (UTF-8), u16 topic length,
//          topic, u32 partition, i64 offset
//   value  u8 version 1, u8 flags (1: bound for the DLQ, 2: no deadline),
//          u32 attempt, f64 deadline ms, f64 renew ms, f64 renew until ms,
//          then handle, message group, renew client id: each i32 length
//          (-1: none) and UTF-8
//   no value (a tombstone): done with
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAGIC_V2, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT, writeBatchCrc, writeBatchHeader } from '../../records/index.js';
import type { Outstanding } from './queue-state.js';

const VERSION = 1;
const DEAD_LETTER = 1;
const NO_DEADLINE = 2;

export interface PopKey {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/** The key's queue part, made once per queue. */
export function queuePrefix(group: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(group);
  const t = Buffer.from(topic);
  const b = Buffer.allocUnsafe(1 + 2 + g.length + 2 + t.length + 4);
  let at = b.writeUInt8(VERSION, 0);
  at = b.writeUInt16BE(g.length, at);
  at += g.copy(b, at);
  at = b.writeUInt16BE(t.length, at);
  at += t.copy(b, at);
  b.writeUInt32BE(partition, at);
  return b;
}

export function encodeKey(prefix: Buffer, offset: bigint): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + 8);
  prefix.copy(b, 0);
  writeOffset(b, prefix.length, offset);
  return b;
}

export function decodeKey(b: Buffer): PopKey {
  if (b[0] !== VERSION) throw new Error(`pop journal key of version ${b[0]}: this broker reads version ${VERSION}`);
  let at = 1;
  const gLen = b.readUInt16BE(at);
  const group = b.toString('utf8', (at += 2), (at += gLen));
  const tLen = b.readUInt16BE(at);
  const topic = b.toString('utf8', (at += 2), (at += tLen));
  const partition = b.readUInt32BE(at);
  return { group, topic, partition, offset: b.readBigInt64BE(at + 4) };
}

export function encodeState(o: Outstanding): Buffer {
  const b = Buffer.allocUnsafe(stateBytes(o));
  writeState(b, 0, o);
  return b;
}

/** Bytes of a state's encoding. */
export function stateBytes(o: Outstanding): number {
  return 2 + 4 + 24 + 12 + utf8Length(o.handle) + (o.messageGroup === null ? 0 : utf8Length(o.messageGroup)) + (o.renewFor === null ? 0 : utf8Length(o.renewFor));
}

/** Buffer.byteLength(s), counted here for ASCII (handles always are; groups and client ids mostly): no call into C++. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return Buffer.byteLength(s);
  return s.length;
}

/** Writes a state's encoding (stateBytes(o) of room) at `at`; returns the position after it. */
export function writeState(b: Buffer, at: number, o: Outstanding): number {
  const finite = Number.isFinite(o.deadline);
  b[at++] = VERSION;
  b[at++] = (o.toDeadLetter ? DEAD_LETTER : 0) | (finite ? 0 : NO_DEADLINE);
  at = b.writeUInt32BE(o.attempt, at);
  at = b.writeDoubleBE(finite ? o.deadline : 0, at);
  at = b.writeDoubleBE(o.renewMs, at);
  at = b.writeDoubleBE(o.renewUntil, at);
  at = writeText(b, at, o.handle);
  at = writeText(b, at, o.messageGroup);
  return writeText(b, at, o.renewFor);
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

/** writeBigInt64BE, without its BigInt arithmetic for the offsets a log has (0 to 2^53). */
function writeOffset(b: Buffer, at: number, offset: bigint): number {
  if (offset < 0n || offset > 9007199254740991n) return b.writeBigInt64BE(offset, at);
  const n = Number(offset);
  const hi = Math.floor(n / TWO_32);
  b.writeUInt32BE(hi, at);
  b.writeUInt32BE(n - hi * TWO_32, at + 4);
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
 * with no timestamps of their own), without a Buffer per key and value:
 * batch() makes the batch of those written since the last.
 */
export class JournalRecords {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  count = 0;

  /** A record: the key of `offset` in the queue of `prefix`, and the state (null: a tombstone). */
  add(prefix: Buffer, offset: bigint, o: Outstanding | null): void {
    const keyBytes = prefix.length + 8;
    const valueBytes = o === null ? -1 : stateBytes(o);
    const body = 3 + zigzagSize(this.count) + zigzagSize(keyBytes) + keyBytes + (valueBytes < 0 ? 1 : zigzagSize(valueBytes) + valueBytes);
    this.room(5 + body);
    const b = this.buf;
    let at = writeZigzag(b, this.pos, body);
    const start = at;
    b[at++] = 0; // attributes
    b[at++] = 0; // timestamp delta
    at = writeZigzag(b, at, this.count);
    at = writeZigzag(b, at, keyBytes);
    // The prefix is a few dozen bytes: copied here rather than by a call into C++.
    for (let i = 0; i < prefix.length; i++) b[at++] = prefix[i]!;
    at = writeOffset(b, at, offset);
    if (o === null) b[at++] = 1; // -1: no value
    else {
      at = writeZigzag(b, at, valueBytes);
      at = writeState(b, at, o);
    }
    b[at++] = 0; // no headers
    if (at - start !== body) throw new Error(`pop journal record: wrote ${at - start} bytes, sized ${body}`);
    this.pos = at;
    this.count++;
  }

  /** The records added since the last batch, as one batch of this timestamp; null with none. */
  batch(timestampMs: bigint): Buffer | null {
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

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

/** A message's state as recorded; one that was moving to the DLQ is due at once (deadline 0). */
export function decodeState(b: Buffer): Outstanding {
  if (b[0] !== VERSION) throw new Error(`pop journal value of version ${b[0]}: this broker reads version ${VERSION}`);
  const flags = b[1]!;
  let at = 30;
  const text = (): string | null => {
    const len = b.readInt32BE(at);
    at += 4;
    if (len < 0) return null;
    return b.toString('utf8', at, (at += len));
  };
  const handle = text() ?? '';
  const messageGroup = text();
  const renewFor = text();
  return {
    attempt: b.readUInt32BE(2),
    deadline: flags & NO_DEADLINE ? 0 : b.readDoubleBE(6),
    renewMs: b.readDoubleBE(14),
    renewUntil: b.readDoubleBE(22),
    handle,
    messageGroup,
    renewFor,
    toDeadLetter: (flags & DEAD_LETTER) !== 0,
  };
}
