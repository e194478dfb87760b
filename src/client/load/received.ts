// What a ReceiveMessage answer holds, walked by offsets without decoding it
// whole: the status, and per message the id and receipt handle an
// AckMessage needs, kept as the bytes they came in (an ack sends them back
// as they are); each message's body and system properties go to the caller
// as they are. The ack request is built from those bytes, not by protobufjs
// from strings: decoding 32 ids and handles to strings and encoding them
// again was a third of the load tool's CPU per received message, and the
// load tool, not the broker, set the pace of the receives it measures.
import { statusCodeIn, walkFields } from './grpc-wire.js';
import { messagingService } from '../../protocol/rocketmq/proto.js';
import { Writer } from '../../protocol/rocketmq/writer.js';

export interface Delivery {
  /** The message id's UTF-8 bytes, as received. */
  messageId: Buffer;
  /** The receipt handle's UTF-8 bytes, as received. */
  receiptHandle: Buffer;
}

/** Protobuf field numbers walked here (apache.rocketmq.v2; a PullMessageResponse's status and message are a ReceiveMessageResponse's). */
export const RESPONSE_STATUS = 1;
export const RESPONSE_MESSAGE = 2;
const MESSAGE_SYSTEM_PROPERTIES = 3;
export const MESSAGE_BODY = 4;
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
  walkFields(a, 0, a.length, (field, wire, start, end) => {
    if (wire !== 2) return;
    if (field === RESPONSE_STATUS) code = statusCodeIn(a, start, end);
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
  walkFields(buf, start, end, (field, wire, s, e) => {
    if (wire !== 2) return;
    if (field === MESSAGE_BODY) body = buf.subarray(s, e);
    else if (field === MESSAGE_SYSTEM_PROPERTIES) {
      system = buf.subarray(s, e);
      walkFields(buf, s, e, (sf, sw, ss, se) => {
        if (sw !== 2) return;
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

/** An AckMessageRequest's group and topic, encoded once per loop: the entries follow them (protobuf messages concatenate). */
export function ackRequestHead(group: string, topic: string): Buffer {
  return messagingService().AckMessage!.requestSerialize({ group: { name: group }, topic: { name: topic } });
}

const ACK_ENTRIES = 3;
const ENTRY_MESSAGE_ID = 1;
const ENTRY_RECEIPT_HANDLE = 2;

/**
 * An AckMessageRequest built as messages are read: `head` (ackRequestHead),
 * then an AckMessageEntry per message, its id and handle copied as
 * received. Empty (the head alone) when made and after each request().
 */
export class AckBuilder {
  private readonly w = new Writer();
  /** Entries since the last request(). */
  count = 0;

  constructor(private readonly head: Buffer) {
    this.w.raw(head);
  }

  /** An entry of the id in idSrc[idAt, idEnd) and the handle in handleSrc[handleAt, handleEnd). */
  add(idSrc: Buffer, idAt: number, idEnd: number, handleSrc: Buffer, handleAt: number, handleEnd: number): void {
    const w = this.w;
    const entry = w.begin(ACK_ENTRIES);
    w.tag(ENTRY_MESSAGE_ID, 2);
    w.varint(idEnd - idAt);
    w.rawFrom(idSrc, idAt, idEnd - idAt);
    w.tag(ENTRY_RECEIPT_HANDLE, 2);
    w.varint(handleEnd - handleAt);
    w.rawFrom(handleSrc, handleAt, handleEnd - handleAt);
    w.end(entry);
    this.count++;
  }

  /** The request (a copy of its own), and the builder empty again. */
  request(): Buffer {
    const out = this.w.take();
    this.w.raw(this.head);
    this.count = 0;
    return out;
  }
}

/** An AckMessageRequest: `head` (ackRequestHead), then one AckMessageEntry per delivery, its id and handle as received. */
export function ackRequest(head: Buffer, deliveries: readonly Delivery[]): Buffer {
  const b = new AckBuilder(head);
  for (const d of deliveries) b.add(d.messageId, 0, d.messageId.length, d.receiptHandle, 0, d.receiptHandle.length);
  return b.request();
}
