// A receive's deliveries, each a ReceiveMessageResponse, encoded straight
// to protobuf bytes. proto-loader's serializer builds a protobufjs message
// from the plain object (parsing int64 strings into Longs on the way) and
// then encodes it: 15 µs of a receive's 40 per message in the broker's own
// code. The fields are those convert.ts's outgoing() sets, with the same
// values; the test decodes both encodings and compares them. A pull's
// messages (PullMessageResponse frames them alike) are encoded the same
// way, without receipt handle and invisible duration (convert.ts stored()).
import { HEAD_BYTES, type Popped } from '../../broker/rocketmq/delivery.js';
import type { Backing, StoredRecord } from '../../broker/rocketmq/queue-records.js';
import { bodyDigestText } from '../../broker/rocketmq/message-record.js';
import type { PbResource } from './convert.js';
import { MESSAGE_PREFIX_BYTES } from '../grpc/wire.js';
import { Writer } from './writer.js';
import { native } from '../../native/addon.js';
import { BufferPool } from '../buffer-pool.js';

/** Log buffers one native encoding reads from at most (rmq_deliveries.cc). */
const MAX_SOURCES = 64;

/** apache.rocketmq.v2 enum values (definition.proto). */
const MESSAGE_TYPE = { NORMAL: 1, FIFO: 2, DELAY: 3 } as const;
const ENCODING = { IDENTITY: 1, GZIP: 2 } as const;
const DIGEST_CRC32 = 1;

// One writer for every answer: encoding is synchronous, so none overlap.
const w = new Writer();

/** The topic resource and store host fields of the last receive: the same for each of its messages, encoded once. */
let lastNamespace: string | undefined;
let lastName: string | undefined;
let topicCached = false;
let lastStoreHost: string | null = null;
let topicField: Uint8Array = new Uint8Array(0);
let storeHostField: Uint8Array = new Uint8Array(0);

function fieldBytes(write: () => void): Uint8Array {
  w.pos = 0;
  write();
  return Uint8Array.from(w.take());
}

/** systemProperties.receiptHandle, handleOf()'s text written in its parts. */
function receiptHandle(p: Popped): void {
  const at = w.begin(12);
  w.text(p.retry ? '2.' : '1.');
  w.digits(p.partition);
  w.text('.');
  w.digits(p.offset);
  w.text('.');
  w.text(p.token);
  w.end(at);
}

/**
 * Bodies under this are copied into the answer, as the socket layer would
 * join them into its write anyway; larger ones are sent from the buffer the
 * log was read into, not copied.
 */
export const BODY_COPY_LIMIT = 8 * 1024;

/**
 * What sending a delivered body holds until it leaves (bytesHeld, counted
 * against a slow reader's bound as messages are taken): a small one's copy
 * and its message's fields; for a large one, the buffer it was read into,
 * once per receive (`seen`).
 */
export function bytesHeld(bodyBytes: number, backing: Backing, seen: Set<Backing>): number {
  if (bodyBytes < BODY_COPY_LIMIT) return bodyBytes + HEAD_BYTES;
  if (seen.has(backing)) return 0;
  seen.add(backing);
  return backing.byteLength;
}

/**
 * A receive's deliveries after its status: each a ReceiveMessageResponse
 * { message } with gRPC's 5-byte prefix, back to back in as few buffers as
 * can be (one, unless a body of BODY_COPY_LIMIT or more is a piece of its
 * own), to be written in order. One buffer instead of a head and a body per
 * message: fewer writes through the HTTP/2 stream and fewer pieces to the
 * socket.
 */
export function encodeDeliveries(popped: readonly Popped[], topic: PbResource, storeHost: string): Buffer[] {
  cacheFields(topic, storeHost);
  const encoded = nativeDeliveries(popped);
  if (encoded !== null) return [encoded];
  const pieces: Buffer[] = [];
  let estimate = 0;
  for (const p of popped) estimate += HEAD_BYTES + (p.message.body.length < BODY_COPY_LIMIT ? p.message.body.length : 0);
  w.start(estimate);
  for (const p of popped) {
    const body = p.message.body;
    // gRPC's prefix: 0 (not compressed), then the message's length.
    const prefix = w.reserve(MESSAGE_PREFIX_BYTES);
    writeMessage(p);
    w.putUInt32BE(prefix + 1, w.pos - prefix - MESSAGE_PREFIX_BYTES + body.length);
    if (body.length < BODY_COPY_LIMIT) w.raw(body);
    else pieces.push(w.takeOwned(), body);
  }
  if (w.pos > 0) pieces.push(w.takeOwned());
  return pieces;
}

/** ReceiveMessageResponse { message } for one delivery; `framed`: with gRPC's 5-byte message prefix in front. */
export function encodeReceived(p: Popped, topic: PbResource, storeHost: string, framed = false): Buffer {
  const all = Buffer.concat(encodeDeliveries([p], topic, storeHost));
  return framed ? all : all.subarray(MESSAGE_PREFIX_BYTES);
}

/**
 * Where the addon writes a receive's deliveries (about 45 KiB for 32
 * one-KiB messages), each buffer given back once its answer has left
 * (deliveriesSent). A fresh one per receive was a third of the encoding's
 * time in process (bench/rocketmq/pop-inprocess: encode 0.85–1.42 →
 * 0.55–0.64 µs a message with a buffer used again): an allocation, its
 * pages touched for the first time, external memory for the collector.
 * 8 MiB at most are kept.
 */
export const deliveryBuffers = new BufferPool(16 * 1024, 1024 * 1024, 8 * 1024 * 1024);

/** A receive's answer is written (its call's 'finish'): the deliveries' buffer may take another's. */
export function deliveriesSent(pieces: readonly Buffer[]): void {
  for (const piece of pieces) deliveryBuffers.giveBack(piece);
}

/** Rows of the native encoder's table (rmq_deliveries.cc): source, record start and end, offset, attempt, timestamp, value start and length, headers' start and count (as the scan found them). */
const STRIDE = 10;
let table = new Float64Array(STRIDE * 32);

/**
 * The deliveries encoded by the addon from their records' bytes, one
 * buffer; null where one needs this file's path (no record bytes, a large
 * body, a record the addon leaves to fromRecord).
 */
export function encodeNatively(popped: readonly Popped[], topic: PbResource, storeHost: string): Buffer | null {
  cacheFields(topic, storeHost);
  return nativeDeliveries(popped);
}

/** encodeNatively's work, the topic and store host fields cached already. */
function nativeDeliveries(popped: readonly Popped[]): Buffer | null {
  const first = popped[0];
  if (first === undefined) return null;
  if (table.length < STRIDE * popped.length) table = new Float64Array(STRIDE * popped.length);
  sources.length = 0;
  let bytes = 0;
  for (let i = 0; i < popped.length; i++) {
    const p = popped[i]!;
    const r = p.stored;
    const b = r === undefined || p.retry || p.token !== first.token || p.partition !== first.partition || p.invisibleMs !== first.invisibleMs ? -1 : tableRow(i, r, p.offset, p.attempt);
    if (b < 0) return declined();
    bytes += b;
  }
  return encodeTable(popped.length, bytes, first.token, first.partition, first.invisibleMs);
}

/**
 * A pull's messages (PullMessageResponse { message }, each with gRPC's
 * prefix): as a receive's deliveries without receipt handle and invisible
 * duration; `attempts[i]` is record i's delivery attempt. Null where one
 * needs the JavaScript path (convert.ts stored()).
 */
export function encodePulled(records: readonly StoredRecord[], attempts: readonly number[], topic: PbResource, storeHost: string, partition: number): Buffer | null {
  cacheFields(topic, storeHost);
  if (records.length === 0) return null;
  if (table.length < STRIDE * records.length) table = new Float64Array(STRIDE * records.length);
  sources.length = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const b = tableRow(i, r, r.offset, attempts[i]!);
    if (b < 0) return declined();
    bytes += b;
  }
  return encodeTable(records.length, bytes, '', partition, PULLED);
}

/** invisibleMs for the addon: a pull's messages. */
const PULLED = -1;
/** The log buffers the table's rows point into (MAX_SOURCES at most). */
const sources: Buffer[] = [];

/** The JavaScript path's: the table's log buffers are let go (they may be mappings of log files), not kept until the next encoding. */
function declined(): null {
  sources.length = 0;
  return null;
}

/** Row i of the addon's table for a record; its bytes, or -1 where the record needs the JavaScript path. */
function tableRow(i: number, r: StoredRecord, offset: number, attempt: number): number {
  if (r.source === null || r.headersAt < 0 || r.valueLength >= BODY_COPY_LIMIT || Number.isNaN(r.timestampNumber)) return -1;
  // Records of one answer mostly come from one read: the source is looked for from the last.
  let source = sources.length - 1;
  while (source >= 0 && sources[source] !== r.source) source--;
  if (source < 0) {
    if (sources.length === MAX_SOURCES) return -1;
    source = sources.push(r.source) - 1;
  }
  const row = i * STRIDE;
  table[row] = source;
  table[row + 1] = r.start;
  table[row + 2] = r.end;
  table[row + 3] = offset;
  table[row + 4] = attempt;
  table[row + 5] = r.timestampNumber;
  table[row + 6] = r.valueAt;
  table[row + 7] = r.valueLength;
  table[row + 8] = r.headersAt;
  table[row + 9] = r.headerCount;
  return r.end - r.start;
}

/** The addon's encoding of the table's `count` rows, into a buffer of the pool; null where a row needs the JavaScript path. */
function encodeTable(count: number, bytes: number, token: string, partition: number, invisibleMs: number): Buffer | null {
  const fixed = fixedFields(token);
  // What the fields take besides the record's own bytes, about; twice as much is tried if it does not do.
  let out = deliveryBuffers.lend(bytes + count * (HEAD_BYTES + fixed.length));
  try {
    for (;;) {
      const n = native.rmqEncodeDeliveries(out, sources, table, count, fixed, topicField.length, storeHostField.length, partition, invisibleMs);
      if (n >= 0) return out.subarray(0, n);
      deliveryBuffers.giveBack(out);
      if (n !== -1) return null;
      out = deliveryBuffers.lend(out.length * 2);
    }
  } finally {
    // The log buffers are not kept past the answer's encoding.
    sources.length = 0;
  }
}

/** The topic and store host fields, then the receive's token, for the addon: in a buffer used again (a concat and a Buffer.from per receive cost about 1% of one). */
let fixedScratch = Buffer.allocUnsafe(256);

function fixedFields(token: string): Buffer {
  const prefix = topicField.length + storeHostField.length;
  const room = prefix + 3 * token.length;
  if (fixedScratch.length < room) fixedScratch = Buffer.allocUnsafe(Math.max(room, 2 * fixedScratch.length));
  fixedScratch.set(topicField, 0);
  fixedScratch.set(storeHostField, topicField.length);
  return fixedScratch.subarray(0, prefix + fixedScratch.utf8Write(token, prefix));
}

/** The topic resource and store host fields, encoded again only when they change (fieldBytes uses the writer: before an answer). */
function cacheFields(topic: PbResource, storeHost: string): void {
  if (!topicCached || topic.resourceNamespace !== lastNamespace || topic.name !== lastName) {
    topicField = fieldBytes(() => {
      const resource = w.begin(1);
      if (topic.resourceNamespace) w.string(1, topic.resourceNamespace);
      if (topic.name) w.string(2, topic.name);
      w.end(resource);
    });
    lastNamespace = topic.resourceNamespace;
    lastName = topic.name;
    topicCached = true;
  }
  if (storeHost !== lastStoreHost) {
    storeHostField = fieldBytes(() => w.string(10, storeHost));
    lastStoreHost = storeHost;
  }
}

/** The message field of a delivery, up to its body's tag and length (its length counts the body's bytes, which follow). */
function writeMessage(p: Popped): void {
  const m = p.message;
  const message = w.begin(2);
  w.raw(topicField);
  for (const [k, v] of m.userProperties) {
    const entry = w.begin(2);
    w.string(1, k);
    w.string(2, v);
    w.end(entry);
  }
  const sp = w.begin(3);
  if (m.tag !== null) w.string(1, m.tag);
  for (const k of m.keys) w.string(2, k);
  w.string(3, m.messageId);
  const digest = w.begin(4);
  w.number(1, DIGEST_CRC32);
  w.string(2, bodyDigestText(m)); // as convert.ts stored() and the addon: stored, else computed
  w.end(digest);
  w.number(5, ENCODING[m.bodyEncoding]);
  w.number(6, MESSAGE_TYPE[m.messageGroup !== null ? 'FIFO' : m.deliveryTimestampMs !== null ? 'DELAY' : 'NORMAL']);
  w.time(7, m.bornTimestampMs);
  w.string(8, m.bornHost);
  w.raw(storeHostField);
  if (m.deliveryTimestampMs !== null) w.time(11, m.deliveryTimestampMs);
  receiptHandle(p);
  w.number(13, p.partition);
  w.number(14, p.offset);
  w.time(15, p.invisibleMs);
  w.number(16, p.attempt);
  if (m.messageGroup !== null) w.string(17, m.messageGroup);
  if (m.traceContext !== null) w.string(18, m.traceContext);
  w.end(sp);
  w.tag(4, 2);
  w.varint(m.body.length);
  w.end(message, m.body.length);
}
