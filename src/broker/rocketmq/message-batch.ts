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

/** One batch of `messages` (at least one), as encodeBatch({ baseTimestamp: first born time, records: messages.map(toRecord) }) writes it, and their tag codes. */
export function encodeMessageBatch(messages: readonly RocketMessage[]): { batch: Buffer; tagCodes: BigInt64Array } {
  const n = messages.length;
  if (n === 0) throw new RangeError('a batch of no messages');
  const base = messages[0]!.bornTimestampMs;
  let maxTimestamp = base;
  // Pass 1: every string's UTF-8 length (in header order), each record's body size.
  const lengths: number[] = [];
  const bodies = new Array<number>(n);
  const counts = new Array<number>(n);
  const deltas = new Array<number>(n);
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
      body += sizeOfVarInt(k) + k;
    } else body += 1;
    body += sizeOfVarInt(m.body.length) + m.body.length;
    let count = 0;
    forEachHeader(m, (key, value) => {
      const kb = Buffer.byteLength(key);
      const vb = Buffer.byteLength(value);
      lengths.push(kb, vb);
      body += sizeOfVarInt(kb) + kb + sizeOfVarInt(vb) + vb;
      count++;
    });
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
  const tagCodes = new BigInt64Array(n);
  let pos = RECORDS_AT;
  let l = 0;
  const text = (s: string): void => {
    const len = lengths[l++]!;
    pos = writeVarInt(buf, pos, len);
    if (buf.utf8Write(s, pos) !== len) throw new Error('message batch: a string wrote other than its length');
    pos += len;
  };
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const start = pos;
    pos = writeVarInt(buf, pos, bodies[i]!);
    const bodyStart = pos;
    buf[pos++] = 0; // attributes
    pos = writeVarLong(buf, pos, deltas[i]!);
    pos = writeVarInt(buf, pos, i);
    if (m.keys.length > 0) text(m.keys[0]!);
    else pos = writeVarInt(buf, pos, -1);
    pos = writeVarInt(buf, pos, m.body.length);
    pos += m.body.copy(buf, pos);
    pos = writeVarInt(buf, pos, counts[i]!);
    forEachHeader(m, (key, value) => {
      text(key);
      text(value);
    });
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
