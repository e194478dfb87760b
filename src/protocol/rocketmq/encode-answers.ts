// The hot answers encoded by hand, to the very bytes proto-loader's
// serializer writes (its fromObject then encode: a protobufjs message per
// entry and a Long per offset, about 3 µs a message): a SendMessage's
// SendAnswer, an AckMessage's plain object, and an AckMessage whose acks all
// succeeded (its entries' bytes repeated). What they cannot write exactly (a
// value of an unexpected type, a code the protos do not name, an offset
// past int64) is left to proto-loader (null). The tests compare the bytes
// of both on varied answers.
import { OK } from './status.js';
import type { AckEcho } from './decode-requests.js';
import type { RawIds } from './native-send.js';
import { native } from '../../native/addon.js';
import type { SendAnswer } from './send-answer.js';
import { Writer } from './writer.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

class NotMine extends Error {}
const NOT_MINE = new NotMine();

// One writer for every answer: encoding is synchronous, so none overlap.
const w = new Writer();

function attempt(encode: () => void): Buffer | null {
  w.pos = 0;
  try {
    encode();
  } catch (err) {
    if (err === NOT_MINE) return null;
    throw err;
  }
  return w.take();
}

/** A string field as fromObject sets it (present unless null or undefined); non-strings are left to proto-loader. */
function str(fieldNo: number, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw NOT_MINE;
  w.string(fieldNo, v);
}

/** The shared OK status (status.ts), as its fields encode: most entries carry it. */
let okBytes: Uint8Array | null = null;

function status(fieldNo: number, s: unknown, codes: ReadonlyMap<string, number>): void {
  if (s === undefined || s === null) return;
  if (typeof s !== 'object') throw NOT_MINE;
  if (s === OK && OK.code === 'OK' && OK.message === 'OK') {
    okBytes ??= okStatusBytes(codes);
    w.tag(fieldNo, 2);
    w.varint(okBytes.length);
    w.raw(okBytes);
    return;
  }
  const { code, message } = s as Pb;
  w.tag(fieldNo, 2);
  const at = w.pos;
  if (code !== undefined && code !== null) {
    const n = typeof code === 'string' ? codes.get(code) : undefined;
    if (n === undefined) throw NOT_MINE;
    w.number(1, n);
  }
  str(2, message);
  w.lengthBefore(at);
}

function okStatusBytes(codes: ReadonlyMap<string, number>): Uint8Array {
  const scratch = new Writer();
  const n = codes.get('OK');
  if (n === undefined) throw NOT_MINE;
  scratch.number(1, n);
  scratch.string(2, 'OK');
  return Uint8Array.from(scratch.take());
}

function entries(list: unknown, entry: (e: Pb) => void): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw NOT_MINE;
  for (const e of list) {
    if (typeof e !== 'object' || e === null) throw NOT_MINE;
    w.tag(2, 2);
    const at = w.pos;
    entry(e as Pb);
    w.lengthBefore(at);
  }
}

/** SendMessageResponse of a SendAnswer (send-answer.ts), or null where proto-loader is to encode its plain form (answer.status, answer.entries). */
export function encodeSendAnswer(answer: SendAnswer, codes: ReadonlyMap<string, number>): Buffer | null {
  if (answer.released) throw new Error('SendAnswer: its message ids were given back with the request');
  if (answer.allStored && OK.code === 'OK' && OK.message === 'OK') {
    const ok = (okBytes ??= okStatusBytes(codes));
    const ids = answer.messageIds;
    const out = Array.isArray(ids) ? storedAnswer(answer, ids as readonly string[], ok) : consecutiveAnswer(answer, ids as RawIds, ok);
    if (out !== null) return out;
  }
  return attempt(() => {
    status(1, answer.status, codes);
    for (let i = 0; i < answer.length; i++) {
      w.tag(2, 2);
      const at = w.pos;
      status(1, answer.statusOf(i), codes);
      const ids = answer.messageIds;
      if (Array.isArray(ids)) w.string(2, (ids as readonly string[])[i]!);
      else {
        // The id's bytes as the request carried them (well-formed UTF-8: the addon checked).
        const { bytes, spans } = ids as RawIds;
        const from = spans[2 * i]!;
        const length = spans[2 * i + 1]! - from;
        w.tag(2, 2);
        w.varint(length);
        w.rawFrom(bytes, from, length);
      }
      w.string(3, answer.transactionIdOf(i));
      const offset = answer.offsets[i]!;
      if (typeof offset === 'bigint' && (offset < INT64_MIN || offset > INT64_MAX)) throw NOT_MINE;
      w.number(4, offset);
      w.string(5, answer.recallHandleOf(i));
      w.lengthBefore(at);
    }
  });
}

/** Bytes of the varint of a non-negative safe integer. */
function varintBytes(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Where the addon writes a stored answer before it is copied out to a buffer of its own size. */
let answerScratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The stored answer written by the addon (native/rmq_send_answer.cc) for
 * ids still in their request's bytes and offsets one after another (a
 * batch appended whole, the only way such ids are stored); null for any
 * other, which the general path writes.
 */
function consecutiveAnswer(answer: SendAnswer, ids: RawIds, ok: Uint8Array): Buffer | null {
  const offsets = answer.offsets;
  const base = offsets[0];
  if (typeof base !== 'number' || base < 0) return null;
  for (let i = 1; i < offsets.length; i++) if (offsets[i] !== base + i) return null;
  let n: number;
  while ((n = native.rmqStoredAnswer(answerScratch, ids.bytes, ids.spans, offsets.length, base, ok)) < 0) answerScratch = Buffer.allocUnsafeSlow(2 * answerScratch.length);
  const out = Buffer.allocUnsafe(n);
  answerScratch.copy(out, 0, 0, n);
  return out;
}

/**
 * The SendMessageResponse of messages all stored, their ids strings (the
 * JavaScript path's; the addon writes those still in the request's bytes:
 * consecutiveAnswer), as the general path writes it (OK; per entry OK, the
 * id, "", the offset, ""), sized first and written once, with no length
 * moved into place after its entry; null for an offset not a number (the
 * general path's).
 */
function storedAnswer(answer: SendAnswer, ids: readonly string[], ok: Uint8Array): Buffer | null {
  const n = answer.length;
  const fixed = 2 + ok.length + 1 + 2 + 1 + 2; // status, the id's tag, "", the offset's tag, ""
  let size = 2 + ok.length;
  for (let i = 0; i < n; i++) {
    const offset = answer.offsets[i]!;
    if (typeof offset !== 'number' || offset < 0) return null;
    const idBytes = Buffer.byteLength(ids[i]!);
    const entry = fixed + varintBytes(idBytes) + idBytes + varintBytes(offset);
    size += 1 + varintBytes(entry) + entry;
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  buf[pos++] = 0x0a; // 1 status
  buf[pos++] = ok.length;
  buf.set(ok, pos);
  pos += ok.length;
  for (let i = 0; i < n; i++) {
    const offset = answer.offsets[i] as number;
    const id = ids[i]!;
    const idBytes = Buffer.byteLength(id);
    buf[pos++] = 0x12; // 2 entries
    pos = putVarint(buf, pos, fixed + varintBytes(idBytes) + idBytes + varintBytes(offset));
    buf[pos++] = 0x0a; // 1 status
    buf[pos++] = ok.length;
    for (let k = 0; k < ok.length; k++) buf[pos++] = ok[k]!;
    buf[pos++] = 0x12; // 2 message_id
    pos = putVarint(buf, pos, idBytes);
    pos += buf.utf8Write(id, pos);
    buf[pos++] = 0x1a; // 3 transaction_id: ""
    buf[pos++] = 0;
    buf[pos++] = 0x20; // 4 offset
    pos = putVarint(buf, pos, offset);
    buf[pos++] = 0x2a; // 5 recall_handle: ""
    buf[pos++] = 0;
  }
  if (pos !== size) throw new Error(`send answer: wrote ${pos} bytes, sized ${size}`);
  return buf;
}

export function encodeAckMessageResponse(answer: Pb, codes: ReadonlyMap<string, number>): Buffer | null {
  return attempt(() => {
    status(1, answer.status, codes);
    entries(answer.entries, (e) => {
      str(1, e.messageId);
      str(2, e.receiptHandle);
      status(3, e.status, codes);
    });
  });
}

/** The answer of an AckMessage whose acks all succeeded: its entries are the request's (decode-requests.ts ackEcho), each with OK. */
export class EchoedAcks {
  readonly status = OK;

  constructor(readonly echo: AckEcho) {}
}

/** encodeAckEcho's entry spans for the addon, kept from ack to ack. */
let echoSpans = new Float64Array(64);

/**
 * The AckMessageResponse of acks that all succeeded: OK, and per entry the
 * request's entry bytes (decode-requests.ts ackEcho) followed by OK: the
 * bytes encodeAckMessageResponse writes for { messageId, receiptHandle,
 * status: OK } entries, without a string or object per entry, written by
 * the addon (native/rmq_acks.cc rmqAckEcho) into a buffer of their size.
 */
export function encodeAckEcho(echo: AckEcho, codes: ReadonlyMap<string, number>): Buffer {
  const ok = (okBytes ??= okStatusBytes(codes));
  const { bytes, spans } = echo;
  // Every length is known: an echoable entry's fields have one-byte lengths (decode-requests.ts), so an answer entry is under 2^14 bytes.
  const tail = 2 + ok.length;
  let size = 2 + ok.length;
  if (echoSpans.length < spans.length) echoSpans = new Float64Array(spans.length);
  for (let i = 0; i < spans.length; i += 2) {
    const n = spans[i + 1]! - spans[i]! + tail;
    size += 1 + (n < 128 ? 1 : 2) + n;
    echoSpans[i] = spans[i]!;
    echoSpans[i + 1] = spans[i + 1]!;
  }
  const out = Buffer.allocUnsafe(size);
  const written = native.rmqAckEcho(out, bytes, echoSpans, spans.length / 2, ok);
  if (written !== size) throw new Error(`an ack's echo wrote ${written} bytes of ${size}`);
  return out;
}
