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
  return attempt(() => {
    status(1, answer.status, codes);
    for (let i = 0; i < answer.length; i++) {
      w.tag(2, 2);
      const at = w.pos;
      status(1, answer.statusOf(i), codes);
      w.string(2, answer.messageIds[i]!);
      w.string(3, answer.transactionIdOf(i));
      const offset = answer.offsets[i]!;
      if (typeof offset === 'bigint' && (offset < INT64_MIN || offset > INT64_MAX)) throw NOT_MINE;
      w.number(4, offset);
      w.string(5, answer.recallHandleOf(i));
      w.lengthBefore(at);
    }
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

/** The answer of an AckMessage whose acks all succeeded: its entries are the request's (decode-requests.ts ackEcho), each with OK. */
export class EchoedAcks {
  readonly status = OK;

  constructor(readonly echo: AckEcho) {}
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
