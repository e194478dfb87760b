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

/** Where a read message's id and receipt handle lie: bounds in `buf`. */
type DeliverySink = (buf: Buffer, idAt: number, idEnd: number, handleAt: number, handleEnd: number) => void;

/** The answers of one ReceiveMessage call: the status code (-1 without one) and every message's delivery. */
export function readReceived(answers: Buffer[], onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void): { deliveries: Delivery[]; code: number } {
  const deliveries: Delivery[] = [];
  let code = -1;
  const keep: DeliverySink = (buf, idAt, idEnd, handleAt, handleEnd) => deliveries.push({ messageId: buf.subarray(idAt, idEnd), receiptHandle: buf.subarray(handleAt, handleEnd) });
  for (const a of answers) {
    const c = readAnswer(a, onMessage, keep);
    if (c !== -1) code = c;
  }
  return { deliveries, code };
}

/**
 * One answer of a ReceiveMessage stream (GrpcSession.callEach hands them
 * on as they come): its status code, or -1 if it carries none; a message
 * goes to `onMessage` and its id and handle into `acks`, copied, so the
 * answer need not outlive the call.
 */
export function readAnswerInto(answer: Buffer, onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void, acks: AckBuilder): number {
  return readAnswer(answer, onMessage, (buf, idAt, idEnd, handleAt, handleEnd) => acks.add(buf, idAt, idEnd, buf, handleAt, handleEnd));
}

function readAnswer(a: Buffer, onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void, sink: DeliverySink): number {
  let code = -1;
  walk(a, 0, a.length, (field, start, end) => {
    if (field === RESPONSE_STATUS) code = statusCode(a);
    else if (field === RESPONSE_MESSAGE) readMessage(a, start, end, onMessage, sink);
  });
  return code;
}

function readMessage(buf: Buffer, start: number, end: number, onMessage: (body: Buffer | null, systemProperties: Buffer | null) => void, sink: DeliverySink): void {
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
  sink(buf, idAt, idEnd, handleAt, handleEnd);
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

/**
 * An AckMessageRequest built as messages are read: `head` (ackRequestHead),
 * then an AckMessageEntry per message, its id and handle copied as
 * received. A receive loop keeps one and resets it for each receive.
 */
export class AckBuilder {
  private buf: Buffer;
  private at = 0;
  /** Entries since the last reset. */
  count = 0;

  constructor(private readonly head: Buffer, capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, head.length));
    this.reset();
  }

  reset(): void {
    this.at = this.head.copy(this.buf, 0);
    this.count = 0;
  }

  /** An entry of the id in idSrc[idAt, idEnd) and the handle in handleSrc[handleAt, handleEnd). */
  add(idSrc: Buffer, idAt: number, idEnd: number, handleSrc: Buffer, handleAt: number, handleEnd: number): void {
    const id = idEnd - idAt;
    const handle = handleEnd - handleAt;
    const entry = 2 + varintBytes(id) + id + varintBytes(handle) + handle;
    const need = this.at + 1 + varintBytes(entry) + entry;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    this.buf[this.at++] = ENTRIES;
    this.varint(entry);
    this.buf[this.at++] = ENTRY_MESSAGE_ID;
    this.varint(id);
    this.at += idSrc.copy(this.buf, this.at, idAt, idEnd);
    this.buf[this.at++] = ENTRY_RECEIPT_HANDLE;
    this.varint(handle);
    this.at += handleSrc.copy(this.buf, this.at, handleAt, handleEnd);
    this.count++;
  }

  /** The request so far: valid until the next reset or add. */
  request(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.at++] = v;
  }
}

/** An AckMessageRequest: `head` (ackRequestHead), then one AckMessageEntry per delivery, its id and handle as received. */
export function ackRequest(head: Buffer, deliveries: readonly Delivery[]): Buffer {
  const b = new AckBuilder(head, 1024);
  for (const d of deliveries) b.add(d.messageId, 0, d.messageId.length, d.receiptHandle, 0, d.receiptHandle.length);
  return b.request();
}

function varintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}
