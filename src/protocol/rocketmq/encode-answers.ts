// SendMessageResponse and AckMessageResponse encoded by hand from the plain
// objects the handlers answer with, to the very bytes proto-loader's
// serializer writes (its fromObject then encode: a protobufjs message per
// entry and a Long per offset, about 3 µs a message). An object of any
// other shape (a value of an unexpected type, a code the protos do not
// name, an offset past int64) is left to proto-loader (null). The test
// compares the bytes of both on varied answers.
import { OK } from './status.js';
import type { AckEcho } from './decode-requests.js';
import { Writer } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

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

/** An int64 given as a decimal string (or a safe integer), as Long.fromValue takes it. */
function int64(fieldNo: number, v: unknown): void {
  if (v === undefined || v === null) return;
  let n: number | bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw NOT_MINE;
    n = v;
  } else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
    n = v.length <= 15 ? Number(v) : BigInt(v);
    if (typeof n === 'bigint' && (n < INT64_MIN || n > INT64_MAX)) throw NOT_MINE;
    if (typeof n === 'bigint' && n >= -MAX_SAFE && n <= MAX_SAFE) n = Number(n);
  } else throw NOT_MINE;
  w.number(fieldNo, n);
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

export function encodeSendMessageResponse(answer: Pb, codes: ReadonlyMap<string, number>): Buffer | null {
  return attempt(() => {
    status(1, answer.status, codes);
    entries(answer.entries, (e) => {
      status(1, e.status, codes);
      str(2, e.messageId);
      str(3, e.transactionId);
      int64(4, e.offset);
      str(5, e.recallHandle);
    });
  });
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

/**
 * The AckMessageResponse of acks that all succeeded: OK, and per entry the
 * request's entry bytes (decode-requests.ts ackEcho) followed by OK: the
 * bytes encodeAckMessageResponse writes for { messageId, receiptHandle,
 * status: OK } entries, without a string or object per entry.
 */
export function encodeAckEcho(echo: AckEcho, codes: ReadonlyMap<string, number>): Buffer {
  okBytes ??= okStatusBytes(codes);
  const ok = okBytes;
  const { bytes, spans } = echo;
  w.pos = 0;
  status(1, OK, codes);
  for (let i = 0; i < spans.length; i += 2) {
    const from = spans[i]!;
    const to = spans[i + 1]!;
    w.tag(2, 2);
    w.varint(to - from + 2 + ok.length);
    w.rawFrom(bytes, from, to - from);
    w.tag(3, 2);
    w.varint(ok.length);
    w.raw(ok);
  }
  return w.take();
}
