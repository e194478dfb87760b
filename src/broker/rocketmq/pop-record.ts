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
// Written by journal-records.ts; read here.
import { MAX_OFFSET, type Outstanding } from './queue-state.js';
import { tokenOf } from './receipt-handle.js';

const V1 = 1;
const V2 = 2;
export const V3 = 3;
/** The most offsets one entry is about: a longer run is written as several entries, and a longer one read is refused as corrupt. */
export const MAX_RUN = 65_536;
const V1_DEAD_LETTER = 1;
const V1_NO_DEADLINE = 2;
export const DONE = 1;
export const DEAD_LETTER = 2;
export const NO_DEADLINE = 4;
export const SAME_TIMES = 8;
export const SAME_TEXTS = 16;

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

/** An offset as the queue state keeps it: a number (queues past 2^53 are refused before anything is recorded). */
function safeOffset(offset: bigint): number {
  if (offset < 0n || offset > MAX_OFFSET) throw new RangeError(`pop journal record: offset ${offset} is outside 0 to 2^53 - 1`);
  return Number(offset);
}
