// A RocketMQ message stored as one Kafka record, so each protocol reads what
// the other wrote:
//   value      the body
//   key        the first key (null if none), so Kafka's key-based tools see it
//   timestamp  the born timestamp
//   headers    user properties as they are, then system properties under the
//              reserved prefix `rmq.` (a user property may not use it), the
//              last the body's CRC-32, stored once so that no delivery
//              computes it again (RocketMQ's broker stores a bodyCRC too)
// A record a Kafka producer wrote has no `rmq.msg.id`: its message id is
// derived from topic, partition and offset, so every delivery names it alike.
import { createHash } from 'node:crypto';
import { native } from '../../native/addon.js';
import type { KafkaRecord, RecordHeader, RecordInput } from '../../records/index.js';

export const RESERVED_PREFIX = 'rmq.';
export const H_MSG_ID = 'rmq.msg.id';
export const H_TAG = 'rmq.tag';
/** One header per key, in order: keys may hold any character, so none is joined. */
export const H_KEY = 'rmq.key';
export const H_MESSAGE_GROUP = 'rmq.message.group';
/** Decimal milliseconds since the epoch. */
export const H_DELIVERY_TS = 'rmq.delivery.ts';
export const H_BORN_HOST = 'rmq.born.host';
/** Present only for GZIP: the body is stored as sent, never recompressed. */
export const H_BODY_ENCODING = 'rmq.body.encoding';
export const H_TRACE_CONTEXT = 'rmq.trace.context';
/**
 * The body's CRC-32 (IEEE) as unsigned decimal digits: the checksum of the
 * CRC32 body digest every delivery carries, as written when the message
 * was stored. Taken as it is where it is such digits (isBodyCrcText); else,
 * and for a Kafka producer's record, computed from the body.
 */
export const H_BODY_CRC = 'rmq.body.crc';

export interface RocketMessage {
  messageId: string;
  body: Buffer;
  tag: string | null;
  keys: string[];
  messageGroup: string | null;
  deliveryTimestampMs: bigint | null;
  bornTimestampMs: bigint;
  bornHost: string;
  bodyEncoding: 'IDENTITY' | 'GZIP';
  traceContext: string | null;
  userProperties: Map<string, string>;
  /** The stored rmq.body.crc header (made from a record that has one); what is sent computes its own. */
  bodyCrc?: string | null;
}

/** The decimal digits rmq.body.crc holds for a body (what the clients compute and compare), by the addon's CRC-32: node:zlib's is several times slower. */
export function bodyCrcText(body: Uint8Array): string {
  return String(native.crc32(body));
}

/** The checksum of a message's CRC32 body digest: as stored with it (rmq.body.crc), else computed (both encoders, and check-back). */
export function bodyDigestText(m: Pick<RocketMessage, 'body' | 'bodyCrc'>): string {
  return m.bodyCrc ?? bodyCrcText(m.body);
}

/** Whether a header value is a CRC-32's digits as bodyCrcText writes them: 1 to 10 digits, no leading zero, at most 2^32 - 1 (rmq_deliveries.cc takes the same). */
export function isBodyCrcText(v: string): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(v) && Number(v) <= 0xffffffff;
}

export function toRecord(m: RocketMessage): RecordInput {
  const headers: RecordHeader[] = [];
  for (const [k, v] of m.userProperties) headers.push({ key: k, value: Buffer.from(v) });
  const put = (key: string, value: string): void => {
    headers.push({ key, value: Buffer.from(value) });
  };
  put(H_MSG_ID, m.messageId);
  if (m.tag !== null) put(H_TAG, m.tag);
  for (const k of m.keys) put(H_KEY, k);
  if (m.messageGroup !== null) put(H_MESSAGE_GROUP, m.messageGroup);
  if (m.deliveryTimestampMs !== null) put(H_DELIVERY_TS, String(m.deliveryTimestampMs));
  if (m.bornHost) put(H_BORN_HOST, m.bornHost);
  if (m.bodyEncoding === 'GZIP') put(H_BODY_ENCODING, 'GZIP');
  if (m.traceContext !== null) put(H_TRACE_CONTEXT, m.traceContext);
  put(H_BODY_CRC, bodyCrcText(m.body));
  return { key: m.keys.length > 0 ? Buffer.from(m.keys[0]!) : null, value: m.body, headers, timestamp: m.bornTimestampMs };
}

/** The tag of a stored record, read without building the whole message (the filter's hot path). */
export function recordTag(r: KafkaRecord): string | null {
  for (const h of r.headers) if (h.key === H_TAG && h.value) return h.value.toString();
  return null;
}

/**
 * A property of a stored record as a SQL92 filter reads it (RocketMQ's
 * message properties): a user property, else the system ones a filter
 * names, TAGS (the tag) and KEYS (the keys joined by spaces, as RocketMQ
 * stores them); null where the record has none.
 */
export function recordProperty(r: KafkaRecord, name: string): string | null {
  if (name === 'TAGS') return recordTag(r);
  if (name === 'KEYS') {
    const keys: string[] = [];
    for (const h of r.headers) if (h.key === H_KEY && h.value) keys.push(h.value.toString());
    kafkaKey(r, keys);
    return keys.length > 0 ? keys.join(' ') : null;
  }
  if (name.startsWith(RESERVED_PREFIX)) return null;
  // The last header of the name, as fromRecord keeps the last.
  let value: string | null = null;
  for (const h of r.headers) if (h.key === name && h.value !== null) value = h.value.toString();
  return value;
}

/** The message group of a stored record (FIFO delivery's key), read without building the message. */
export function recordMessageGroup(r: KafkaRecord): string | null {
  for (const h of r.headers) if (h.key === H_MESSAGE_GROUP && h.value) return h.value.toString();
  return null;
}

export function fromRecord(r: KafkaRecord, timestampMs: bigint, where: { topic: string; partition: number; offset: bigint | number }): RocketMessage {
  const m: RocketMessage = {
    messageId: '',
    body: r.value ?? Buffer.alloc(0),
    tag: null,
    keys: [],
    messageGroup: null,
    deliveryTimestampMs: null,
    bornTimestampMs: timestampMs,
    bornHost: '',
    bodyEncoding: 'IDENTITY',
    traceContext: null,
    userProperties: new Map(),
    bodyCrc: null,
  };
  for (const h of r.headers) {
    if (h.value === null) continue;
    const v = h.value.toString();
    switch (h.key) {
      case H_MSG_ID: m.messageId = v; break;
      case H_TAG: m.tag = v; break;
      case H_KEY: m.keys.push(v); break;
      case H_MESSAGE_GROUP: m.messageGroup = v; break;
      case H_DELIVERY_TS: if (/^\d+$/.test(v)) m.deliveryTimestampMs = BigInt(v); break;
      case H_BORN_HOST: m.bornHost = v; break;
      case H_BODY_ENCODING: if (v === 'GZIP') m.bodyEncoding = 'GZIP'; break;
      case H_TRACE_CONTEXT: m.traceContext = v; break;
      case H_BODY_CRC: m.bodyCrc = isBodyCrcText(v) ? v : null; break;
      default:
        if (!h.key.startsWith(RESERVED_PREFIX)) m.userProperties.set(h.key, v);
    }
  }
  kafkaKey(r, m.keys);
  if (!m.messageId) m.messageId = derivedMessageId(where.topic, where.partition, where.offset);
  return m;
}

/** A Kafka producer's record (no rmq.msg.id) with a key and no rmq.key headers: its key is its message's key. */
function kafkaKey(r: KafkaRecord, keys: string[]): void {
  if (keys.length === 0 && r.key !== null && !r.headers.some((h) => h.key === H_MSG_ID)) keys.push(r.key.toString());
}

/**
 * 34 upper-case hex digits like the clients' ids; version byte 00 (the
 * clients write 01), so a derived id never equals a client-made one.
 */
export function derivedMessageId(topic: string, partition: number, offset: bigint | number): string {
  return '00' + createHash('sha1').update(`${topic}\0${partition}\0${offset}`).digest('hex').slice(0, 32).toUpperCase();
}
