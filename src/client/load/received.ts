// What a ReceiveMessage answer holds, walked by offsets without decoding it
// whole: the status, and per message the id and receipt handle an
// AckMessage needs, kept as the bytes they came in (an ack sends them back
// as they are); each message's body and system properties go to the caller
// as they are. The ack request is built from those bytes, not by protobufjs
// from strings: decoding 32 ids and handles to strings and encoding them
// again was a third of the load tool's CPU per received message, and the
// load tool, not the broker, set the pace of the receives it measures.
import { statusCode } from './grpc-wire.js';
import { messagingService } from '../../protocol/rocketmq/proto.js';

export interface Delivery {
  /** The message id's UTF-8 bytes, as received. */
  messageId: Buffer;
  /** The receipt handle's UTF-8 bytes, as received. */
  receiptHandle: Buffer;
}

/** Protobuf field numbers walked here (apache.rocketmq.v2). */
const RESPONSE_STATUS = 1;
const RESPONSE_MESSAGE = 2;
const MESSAGE_SYSTEM_PROPERTIES = 3;
const MESSAGE_BODY = 4;
const SYSTEM_MESSAGE_ID = 3;
const SYSTEM_RECEIPT_HANDLE = 12;

/** The answers of one ReceiveMessage call: the status code (-1 without one) and every message's delivery. */
export function readReceived(answers: Buffer[], onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void): { deliveries: Delivery[]; code: number } {
  const deliveries: Delivery[] = [];
  let code = -1;
  for (const a of answers) {
    walk(a, 0, a.length, (field, start, end) => {
      if (field === RESPONSE_STATUS) code = statusCode(a);
      else if (field === RESPONSE_MESSAGE) deliveries.push(readMessage(a, start, end, onMessage));
    });
  }
  return { deliveries, code };
}

function readMessage(buf: Buffer, start: number, end: number, onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void): Delivery {
  let body: Buffer | null = null;
  let system: Buffer | null = null;
  let idAt = 0;
  let idEnd = 0;
  let handleAt = 0;
  let handleEnd = 0;
  walk(buf, start, end, (field, s, e) => {
    if (field === MESSAGE_BODY) body = buf.subarray(s, e);
    else if (field === MESSAGE_SYSTEM_PROPERTIES) {
      system = buf.subarray(s, e);
      walk(buf, s, e, (sf, ss, se) => {
        if (sf === SYSTEM_MESSAGE_ID) {
          idAt = ss;
          idEnd = se;
        } else if (sf === SYSTEM_RECEIPT_HANDLE) {
          handleAt = ss;
          handleEnd = se;
        }
      });
    }
  });
  onMessage(body, system);
  return { messageId: buf.subarray(idAt, idEnd), receiptHandle: buf.subarray(handleAt, handleEnd) };
}

/**
 * Calls `visit(field, start, end)` for each length-delimited field of the
 * protobuf message in buf[from, to), with its value's bounds; varint and
 * fixed-width fields are stepped over.
 */
function walk(buf: Buffer, from: number, to: number, visit: (field: number, start: number, end: number) => void): void {
  let at = from;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (at >= to) throw new Error('a truncated protobuf varint');
      const b = buf[at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (at < to) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      if (at + length > to) throw new Error('a truncated protobuf field');
      visit(Math.floor(tag / 8), at, at + length);
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`protobuf wire type ${wire} is not expected here`);
  }
}

/** An AckMessageRequest's group and topic, encoded once per loop: the entries follow them (protobuf messages concatenate). */
export function ackRequestHead(group: string, topic: string): Buffer {
  return messagingService().AckMessage!.requestSerialize({ group: { name: group }, topic: { name: topic } });
}

const ENTRIES = (3 << 3) | 2;
const ENTRY_MESSAGE_ID = (1 << 3) | 2;
const ENTRY_RECEIPT_HANDLE = (2 << 3) | 2;

/** An AckMessageRequest: `head` (ackRequestHead), then one AckMessageEntry per delivery, its id and handle as received. */
export function ackRequest(head: Buffer, deliveries: readonly Delivery[]): Buffer {
  let size = head.length;
  for (const d of deliveries) {
    const entry = entryBytes(d);
    size += 1 + varintBytes(entry) + entry;
  }
  const out = Buffer.allocUnsafe(size);
  let at = head.copy(out, 0);
  const varint = (v: number): void => {
    while (v >= 0x80) {
      out[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[at++] = v;
  };
  const bytes = (tag: number, b: Buffer): void => {
    out[at++] = tag;
    varint(b.length);
    at += b.copy(out, at);
  };
  for (const d of deliveries) {
    out[at++] = ENTRIES;
    varint(entryBytes(d));
    bytes(ENTRY_MESSAGE_ID, d.messageId);
    bytes(ENTRY_RECEIPT_HANDLE, d.receiptHandle);
  }
  return out;
}

function entryBytes(d: Delivery): number {
  return 2 + varintBytes(d.messageId.length) + d.messageId.length + varintBytes(d.receiptHandle.length) + d.receiptHandle.length;
}

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}
