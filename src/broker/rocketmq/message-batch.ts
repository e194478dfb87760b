// RocketMQ messages written straight into one Kafka record batch: the very
// bytes encodeBatch writes for their toRecord() records (the test compares
// them), without a record object, a header object and a Buffer per
// property on the way, and with each record's tag code for the engine's
// tag index, so the broker need not decode the batch again to find the
// tags (tag-code.ts rememberTagCodes).
import { writeBatchCrc, writeBatchHeader, MAGIC_V2, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORDS_AT, BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from '../../records/index.js';
import { bodyCrcText, H_BODY_CRC, H_BODY_ENCODING, H_BORN_HOST, H_DELIVERY_TS, H_KEY, H_MESSAGE_GROUP, H_MSG_ID, H_TAG, H_TRACE_CONTEXT, type RocketMessage } from './message-record.js';
import { tagCode } from './tag-code.js';

const MAX_DELTA = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_SAFE_DELTA = Number.MAX_SAFE_INTEGER;
const GZIP = 'GZIP';

/** The system headers' keys, as bytes (all ASCII). */
const bytesOf = (key: string): Uint8Array => Uint8Array.from(Buffer.from(key));
const MSG_ID_BYTES = bytesOf(H_MSG_ID);
const TAG_BYTES = bytesOf(H_TAG);
const KEY_KEY_BYTES = bytesOf(H_KEY);
const GROUP_BYTES = bytesOf(H_MESSAGE_GROUP);
const DELIVERY_BYTES = bytesOf(H_DELIVERY_TS);
const BORN_HOST_BYTES = bytesOf(H_BORN_HOST);
const ENCODING_BYTES = bytesOf(H_BODY_ENCODING);
const TRACE_BYTES = bytesOf(H_TRACE_CONTEXT);
const BODY_CRC_BYTES = bytesOf(H_BODY_CRC);

/**
 * What a message's properties take, bytes, as publish.ts's limit counts
 * them: its record's key, and each header (toRecord()'s) with its key and
 * value plus 10 bytes; not rmq.body.crc, which the broker adds (the 1 KiB
 * publish.ts keeps beyond MAX_PROPERTY_BYTES holds it).
 */
export function propertyBytes(m: RocketMessage): number {
  let n = m.keys.length > 0 ? Buffer.byteLength(m.keys[0]!) : 0;
  // Most messages have none: no Map iterator then.
  if (m.userProperties.size > 0) for (const [k, v] of m.userProperties) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 10;
  n += MSG_ID_BYTES.length + Buffer.byteLength(m.messageId) + 10;
  if (m.tag !== null) n += TAG_BYTES.length + Buffer.byteLength(m.tag) + 10;
  // Indexed loops: for-of over a frozen array (decode-send.ts shares one for no keys) makes an iterator.
  for (let i = 0; i < m.keys.length; i++) n += KEY_KEY_BYTES.length + Buffer.byteLength(m.keys[i]!) + 10;
  if (m.messageGroup !== null) n += GROUP_BYTES.length + Buffer.byteLength(m.messageGroup) + 10;
  if (m.deliveryTimestampMs !== null) n += DELIVERY_BYTES.length + String(m.deliveryTimestampMs).length + 10;
  if (m.bornHost) n += BORN_HOST_BYTES.length + Buffer.byteLength(m.bornHost) + 10;
  if (m.bodyEncoding === 'GZIP') n += ENCODING_BYTES.length + GZIP.length + 10;
  if (m.traceContext !== null) n += TRACE_BYTES.length + Buffer.byteLength(m.traceContext) + 10;
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
 * A string whose UTF-8 takes `bytes` bytes, at `pos`; returns the position
 * after it. Short ASCII (a host, a tag) is copied by char code, cheaper
 * than a call into C++; from 16 bytes on (a message id) the call costs
 * less, in the broker's profile. (Counting is by Buffer.byteLength: a loop
 * over the chars measured slower.)
 */
function writeText(buf: Buffer, pos: number, s: string, bytes: number): number {
  if (bytes < 16 && bytes === s.length) {
    for (let i = 0; i < bytes; i++) buf[pos + i] = s.charCodeAt(i);
  } else if (buf.utf8Write(s, pos) !== bytes) throw new Error('message batch: a string wrote other than its length');
  return pos + bytes;
}

/** One header (its key's bytes given) whose value takes `valueBytes` bytes as UTF-8; returns the position after it. */
function writeHeader(buf: Buffer, pos: number, key: Uint8Array, value: string, valueBytes: number): number {
  buf[pos++] = key.length * 2;
  for (let i = 0; i < key.length; i++) buf[pos++] = key[i]!;
  pos = writeLength(buf, pos, valueBytes);
  return writeText(buf, pos, value, valueBytes);
}

/** A system header's bytes in a record; its value's UTF-8 length goes to `lengths` (a plain function, not a closure per message). */
function systemHeader(lengths: number[], key: Uint8Array, value: string): number {
  const vb = Buffer.byteLength(value);
  lengths.push(vb);
  return 1 + key.length + lengthSize(vb) + vb;
}


/** One batch of `messages` (at least one), as encodeBatch({ baseTimestamp: first born time, records: messages.map(toRecord) }) writes it, and their tag codes. */
export function encodeMessageBatch(messages: readonly RocketMessage[]): { batch: Buffer; tagCodes: BigInt64Array } {
  const n = messages.length;
  if (n === 0) throw new RangeError('a batch of no messages');
  const base = messages[0]!.bornTimestampMs;
  const baseSafe = base >= -MAX_DELTA && base <= MAX_DELTA;
  const baseNumber = Number(base);
  let maxTimestamp = base;
  // Pass 1: each string's UTF-8 length (in the order they are written), each record's body size.
  const lengths: number[] = [];
  const bodies = new Array<number>(n);
  const counts = new Array<number>(n);
  const deltas = new Array<number>(n);
  const deliveries = new Array<string | null>(n);
  const crcs = new Array<string>(n);
  let size = BATCH_HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const t = m.bornTimestampMs;
    // Born times are safe integers (publish.ts checks them): the delta as numbers, without a BigInt per message.
    let delta = baseSafe && t >= -MAX_DELTA && t <= MAX_DELTA ? Number(t) - baseNumber : NaN;
    if (!(delta <= MAX_SAFE_DELTA && delta >= -MAX_SAFE_DELTA)) {
      const d = t - base;
      if (d > MAX_DELTA || d < -MAX_DELTA) throw new RangeError(`record ${i}: timestamp is ${d} ms from baseTimestamp, beyond ±2^53`);
      delta = Number(d);
    }
    deltas[i] = delta;
    if (m.bornTimestampMs > maxTimestamp) maxTimestamp = m.bornTimestampMs;
    let body = 1 + sizeOfVarLong(delta) + sizeOfVarInt(i);
    if (m.keys.length > 0) {
      const k = Buffer.byteLength(m.keys[0]!);
      lengths.push(k);
      body += lengthSize(k) + k;
    } else body += 1;
    body += lengthSize(m.body.length) + m.body.length;
    let count = m.userProperties.size;
    if (count > 0) for (const [k, v] of m.userProperties) {
      const kb = Buffer.byteLength(k);
      const vb = Buffer.byteLength(v);
      lengths.push(kb, vb);
      body += lengthSize(kb) + kb + lengthSize(vb) + vb;
    }
    // The system headers, in toRecord's order.
    body += systemHeader(lengths, MSG_ID_BYTES, m.messageId);
    count++;
    if (m.tag !== null) {
      body += systemHeader(lengths, TAG_BYTES, m.tag);
      count++;
    }
    for (let k = 0; k < m.keys.length; k++) body += systemHeader(lengths, KEY_KEY_BYTES, m.keys[k]!);
    count += m.keys.length;
    if (m.messageGroup !== null) {
      body += systemHeader(lengths, GROUP_BYTES, m.messageGroup);
      count++;
    }
    const delivery = m.deliveryTimestampMs === null ? null : String(m.deliveryTimestampMs);
    deliveries[i] = delivery;
    if (delivery !== null) {
      body += systemHeader(lengths, DELIVERY_BYTES, delivery);
      count++;
    }
    if (m.bornHost) {
      body += systemHeader(lengths, BORN_HOST_BYTES, m.bornHost);
      count++;
    }
    if (m.bodyEncoding === 'GZIP') {
      body += systemHeader(lengths, ENCODING_BYTES, GZIP);
      count++;
    }
    if (m.traceContext !== null) {
      body += systemHeader(lengths, TRACE_BYTES, m.traceContext);
      count++;
    }
    crcs[i] = bodyCrcText(m.body);
    body += systemHeader(lengths, BODY_CRC_BYTES, crcs[i]!);
    count++;
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
      pos = writeText(buf, pos, m.keys[0]!, kb);
    } else buf[pos++] = 1; // -1: no key
    pos = writeLength(buf, pos, m.body.length);
    pos += m.body.copy(buf, pos);
    pos = writeVarInt(buf, pos, counts[i]!);
    if (m.userProperties.size > 0) for (const [k, v] of m.userProperties) {
      const kb = lengths[l++]!;
      pos = writeLength(buf, pos, kb);
      pos = writeText(buf, pos, k, kb);
      const vb = lengths[l++]!;
      pos = writeLength(buf, pos, vb);
      pos = writeText(buf, pos, v, vb);
    }
    pos = writeHeader(buf, pos, MSG_ID_BYTES, m.messageId, lengths[l++]!);
    if (m.tag !== null) pos = writeHeader(buf, pos, TAG_BYTES, m.tag, lengths[l++]!);
    for (let k = 0; k < m.keys.length; k++) pos = writeHeader(buf, pos, KEY_KEY_BYTES, m.keys[k]!, lengths[l++]!);
    if (m.messageGroup !== null) pos = writeHeader(buf, pos, GROUP_BYTES, m.messageGroup, lengths[l++]!);
    if (deliveries[i] !== null) pos = writeHeader(buf, pos, DELIVERY_BYTES, deliveries[i]!, lengths[l++]!);
    if (m.bornHost) pos = writeHeader(buf, pos, BORN_HOST_BYTES, m.bornHost, lengths[l++]!);
    if (m.bodyEncoding === 'GZIP') pos = writeHeader(buf, pos, ENCODING_BYTES, GZIP, lengths[l++]!);
    if (m.traceContext !== null) pos = writeHeader(buf, pos, TRACE_BYTES, m.traceContext, lengths[l++]!);
    pos = writeHeader(buf, pos, BODY_CRC_BYTES, crcs[i]!, lengths[l++]!);
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
