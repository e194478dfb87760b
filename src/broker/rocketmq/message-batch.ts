// RocketMQ messages written straight into one Kafka record batch: the very
// bytes encodeBatch writes for their toRecord() records (the test compares
// them), without a record object, a header object and a Buffer per
// property on the way, and with each record's tag code for the engine's
// tag index, so the broker need not decode the batch again to find the
// tags (tag-code.ts rememberTagCodes).
import { writeBatchCrc, writeBatchHeader, MAGIC_V2, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT, BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from '../../records/index.js';
import { H_BODY_ENCODING, H_BORN_HOST, H_DELIVERY_TS, H_KEY, H_MESSAGE_GROUP, H_MSG_ID, H_TAG, H_TRACE_CONTEXT, type RocketMessage } from './message-record.js';
import { tagCode } from './tag-code.js';

const MAX_DELTA = BigInt(Number.MAX_SAFE_INTEGER);
const GZIP = 'GZIP';

/** The headers toRecord() gives a message, in its order, as [key, value] pairs. */
function forEachHeader(m: RocketMessage, f: (key: string, value: string) => void): void {
  for (const [k, v] of m.userProperties) f(k, v);
  f(H_MSG_ID, m.messageId);
  if (m.tag !== null) f(H_TAG, m.tag);
  for (const k of m.keys) f(H_KEY, k);
  if (m.messageGroup !== null) f(H_MESSAGE_GROUP, m.messageGroup);
  if (m.deliveryTimestampMs !== null) f(H_DELIVERY_TS, String(m.deliveryTimestampMs));
  if (m.bornHost) f(H_BORN_HOST, m.bornHost);
  if (m.bodyEncoding === 'GZIP') f(H_BODY_ENCODING, GZIP);
  if (m.traceContext !== null) f(H_TRACE_CONTEXT, m.traceContext);
}

/**
 * What a message's properties take, bytes, as publish.ts's limit counts
 * them: its record's key, and each header's key and value plus 10 bytes.
 */
export function propertyBytes(m: RocketMessage): number {
  let n = m.keys.length > 0 ? Buffer.byteLength(m.keys[0]!) : 0;
  forEachHeader(m, (k, v) => {
    n += Buffer.byteLength(k) + Buffer.byteLength(v) + 10;
  });
  return n;
}

/** A tag's code as the index would find it in the stored header (a lone surrogate is stored as U+FFFD). */
function storedTagCode(tag: string | null): bigint {
  if (tag !== null && /[\ud800-\udfff]/.test(tag)) return tagCode(Buffer.from(tag).toString());
  return tagCode(tag);
}

/** Bytes of a non-negative length as a zigzag varint (a record's field lengths). */
function lengthSize(n: number): number {
  return n < 64 ? 1 : n < 8192 ? 2 : n < 1048576 ? 3 : n < 134217728 ? 4 : 5;
}

function writeLength(buf: Buffer, pos: number, n: number): number {
  let u = n * 2;
  while (u >= 128) {
    buf[pos++] = (u & 127) | 128;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** The system headers' keys, as bytes (all ASCII). */
const KEY_BYTES = new Map([H_MSG_ID, H_TAG, H_KEY, H_MESSAGE_GROUP, H_DELIVERY_TS, H_BORN_HOST, H_BODY_ENCODING, H_TRACE_CONTEXT].map((k) => [k, Uint8Array.from(Buffer.from(k))]));

/**
 * Tag codes are handed out as views of a shared block, each view its own
 * (never reused), so a batch's codes cost no allocation of their own: the
 * engines copy them into their index during the append.
 */
const CODES_BLOCK = 4096;
let codesBlock = new BigInt64Array(CODES_BLOCK);
let codesUsed = 0;

function newCodes(n: number): BigInt64Array {
  if (n > CODES_BLOCK / 4) return new BigInt64Array(n);
  if (codesUsed + n > CODES_BLOCK) {
    codesBlock = new BigInt64Array(CODES_BLOCK);
    codesUsed = 0;
  }
  const codes = codesBlock.subarray(codesUsed, codesUsed + n);
  codesUsed += n;
  return codes;
}

/**
 * Writes one header (its key's bytes given) whose value takes `valueBytes`
 * bytes as UTF-8; returns the position after it.
 */
function writeHeader(buf: Buffer, pos: number, key: Uint8Array, value: string, valueBytes: number): number {
  buf[pos++] = key.length * 2;
  for (let i = 0; i < key.length; i++) buf[pos++] = key[i]!;
  pos = writeLength(buf, pos, valueBytes);
  if (buf.utf8Write(value, pos) !== valueBytes) throw new Error('message batch: a value wrote other than its length');
  return pos + valueBytes;
}

/** One batch of `messages` (at least one), as encodeBatch({ baseTimestamp: first born time, records: messages.map(toRecord) }) writes it, and their tag codes. */
export function encodeMessageBatch(messages: readonly RocketMessage[]): { batch: Buffer; tagCodes: BigInt64Array } {
  const n = messages.length;
  if (n === 0) throw new RangeError('a batch of no messages');
  const base = messages[0]!.bornTimestampMs;
  let maxTimestamp = base;
  // Pass 1: each string's UTF-8 length (in the order they are written), each record's body size.
  const lengths: number[] = [];
  const bodies = new Array<number>(n);
  const counts = new Array<number>(n);
  const deltas = new Array<number>(n);
  const deliveries = new Array<string | null>(n);
  let size = BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const d = m.bornTimestampMs - base;
    if (d > MAX_DELTA || d < -MAX_DELTA) throw new RangeError(`record ${i}: timestamp is ${d} ms from baseTimestamp, beyond ±2^53`);
    deltas[i] = Number(d);
    if (m.bornTimestampMs > maxTimestamp) maxTimestamp = m.bornTimestampMs;
    let body = 1 + sizeOfVarLong(deltas[i]!) + sizeOfVarInt(i);
    if (m.keys.length > 0) {
      const k = Buffer.byteLength(m.keys[0]!);
      lengths.push(k);
      body += lengthSize(k) + k;
    } else body += 1;
    body += lengthSize(m.body.length) + m.body.length;
    let count = m.userProperties.size;
    for (const [k, v] of m.userProperties) {
      const kb = Buffer.byteLength(k);
      const vb = Buffer.byteLength(v);
      lengths.push(kb, vb);
      body += lengthSize(kb) + kb + lengthSize(vb) + vb;
    }
    // The system headers (toRecord's order): each key's bytes are known.
    const system = (key: string, value: string): void => {
      const vb = Buffer.byteLength(value);
      lengths.push(vb);
      body += 1 + key.length + lengthSize(vb) + vb;
      count++;
    };
    system(H_MSG_ID, m.messageId);
    if (m.tag !== null) system(H_TAG, m.tag);
    for (const k of m.keys) system(H_KEY, k);
    if (m.messageGroup !== null) system(H_MESSAGE_GROUP, m.messageGroup);
    deliveries[i] = m.deliveryTimestampMs === null ? null : String(m.deliveryTimestampMs);
    if (deliveries[i] !== null) system(H_DELIVERY_TS, deliveries[i]!);
    if (m.bornHost) system(H_BORN_HOST, m.bornHost);
    if (m.bodyEncoding === 'GZIP') system(H_BODY_ENCODING, GZIP);
    if (m.traceContext !== null) system(H_TRACE_CONTEXT, m.traceContext);
    body += sizeOfVarInt(count);
    counts[i] = count;
    bodies[i] = body;
    size += sizeOfVarInt(body) + body;
  }
  const buf = Buffer.allocUnsafe(size);
  writeBatchHeader(buf, 0, {
    baseOffset: 0n,
    batchLength: size - LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
    magic: MAGIC_V2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: n - 1,
    baseTimestamp: base,
    maxTimestamp,
    producerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    baseSequence: NO_SEQUENCE,
    recordCount: n,
  });
  // Pass 2: the records.
  const tagCodes = newCodes(n);
  let pos = RECORDS_AT;
  let l = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const start = pos;
    pos = writeVarInt(buf, pos, bodies[i]!);
    const bodyStart = pos;
    buf[pos++] = 0; // attributes
    pos = writeVarLong(buf, pos, deltas[i]!);
    pos = writeVarInt(buf, pos, i);
    if (m.keys.length > 0) {
      const kb = lengths[l++]!;
      pos = writeLength(buf, pos, kb);
      pos += buf.utf8Write(m.keys[0]!, pos);
    } else buf[pos++] = 1; // -1: no key
    pos = writeLength(buf, pos, m.body.length);
    pos += m.body.copy(buf, pos);
    pos = writeVarInt(buf, pos, counts[i]!);
    for (const [k, v] of m.userProperties) {
      const kb = lengths[l++]!;
      pos = writeLength(buf, pos, kb);
      pos += buf.utf8Write(k, pos);
      const vb = lengths[l++]!;
      pos = writeLength(buf, pos, vb);
      pos += buf.utf8Write(v, pos);
    }
    pos = writeHeader(buf, pos, KEY_BYTES.get(H_MSG_ID)!, m.messageId, lengths[l++]!);
    if (m.tag !== null) pos = writeHeader(buf, pos, KEY_BYTES.get(H_TAG)!, m.tag, lengths[l++]!);
    for (const k of m.keys) pos = writeHeader(buf, pos, KEY_BYTES.get(H_KEY)!, k, lengths[l++]!);
    if (m.messageGroup !== null) pos = writeHeader(buf, pos, KEY_BYTES.get(H_MESSAGE_GROUP)!, m.messageGroup, lengths[l++]!);
    if (deliveries[i] !== null) pos = writeHeader(buf, pos, KEY_BYTES.get(H_DELIVERY_TS)!, deliveries[i]!, lengths[l++]!);
    if (m.bornHost) pos = writeHeader(buf, pos, KEY_BYTES.get(H_BORN_HOST)!, m.bornHost, lengths[l++]!);
    if (m.bodyEncoding === 'GZIP') pos = writeHeader(buf, pos, KEY_BYTES.get(H_BODY_ENCODING)!, GZIP, lengths[l++]!);
    if (m.traceContext !== null) pos = writeHeader(buf, pos, KEY_BYTES.get(H_TRACE_CONTEXT)!, m.traceContext, lengths[l++]!);
    if (pos - bodyStart !== bodies[i]) throw new Error(`message batch: record at ${start} wrote ${pos - bodyStart} body bytes, sized ${bodies[i]}`);
    tagCodes[i] = storedTagCode(m.tag);
  }
  if (pos !== size) throw new Error(`message batch: wrote ${pos} bytes, sized ${size}`);
  writeBatchCrc(buf, 0);
  return { batch: buf, tagCodes };
}

declare global {
  interface Buffer {
    utf8Write(s: string, offset: number): number;
  }
}
