// A delivered message's ReceiveMessageResponse, encoded straight to protobuf
// bytes. proto-loader's serializer builds a protobufjs message from the plain
// object (parsing int64 strings into Longs on the way) and then encodes it:
// 15 µs of a receive's 40 per message in the broker's own code. The fields
// are those convert.ts's outgoing() sets, with the same values; the test
// decodes both encodings and compares them.
import type { Popped } from '../../broker/rocketmq/pop-service.js';
import { crc32 } from 'node:zlib';
import type { PbResource } from './convert.js';
import { handleOf } from '../../broker/rocketmq/receipt-handle.js';
import { Writer } from './wire.js';

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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** systemProperties.receiptHandle, handleOf()'s text written in its parts. */
function receiptHandle(p: Popped): void {
  if (p.offset > MAX_SAFE) return w.string(12, handleOf(p.partition, p.offset, p.token));
  const at = w.begin(12);
  w.text('1.');
  w.digits(p.partition);
  w.text('.');
  w.digits(Number(p.offset));
  w.text('.');
  w.text(p.token);
  w.end(at);
}

/** ReceiveMessageResponse { message } for one delivery; `framed`: with gRPC's 5-byte message prefix in front. */
export function encodeReceived(p: Popped, topic: PbResource, storeHost: string, framed = false): Buffer {
  return Buffer.concat([encodeReceivedHead(p, topic, storeHost, framed), p.message.body]);
}

/**
 * All of a delivery's ReceiveMessageResponse but the body's bytes, which
 * follow it as they are (the message's length counts them): the body is
 * sent from where the record was read, not copied into the answer. With
 * `framed`, gRPC's 5-byte message prefix in front (ServerCall.writeFramed).
 */
export function encodeReceivedHead(p: Popped, topic: PbResource, storeHost: string, framed = false): Buffer {
  const m = p.message;
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
  w.pos = 0;
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
  w.decimal(2, crc32(m.body) >>> 0); // convert.ts bodyDigest: the CRC's decimal digits
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
  // The body last: its tag and length here, its bytes after.
  w.tag(4, 2);
  w.varint(m.body.length);
  w.end(message, m.body.length);
  if (!framed) return w.take();
  const out = w.take(5);
  out[0] = 0;
  out.writeUInt32BE(out.length - 5 + m.body.length, 1);
  return out;
}
