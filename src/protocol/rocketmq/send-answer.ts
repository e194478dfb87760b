// A SendMessageResponse kept compact until it is encoded: per message its
// id and offset (a number while exact, else a bigint), and only where a
// message is not simply stored, its status, transaction id or recall
// handle. encodeSendAnswer writes the bytes proto-loader's serializer
// writes for the plain object form (`status` and `entries`, which
// proto-loader reads when it encodes instead: an unknown status code), with
// no object and no decimal string per message; the test compares them.
import { OK, type Status } from './status.js';
import { Writer } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export class SendAnswer {
  /** The first failed entry's status, else OK: the answer's own. */
  status: Status = OK;
  readonly offsets: (number | bigint)[];
  /** Made only once an entry needs one: a status not OK, a transaction id, a recall handle. */
  private statuses: Status[] | null = null;
  private transactionIds: string[] | null = null;
  private recallHandles: string[] | null = null;

  constructor(readonly messageIds: readonly string[]) {
    this.offsets = new Array<number | bigint>(messageIds.length).fill(-1);
  }

  get length(): number {
    return this.messageIds.length;
  }

  stored(i: number, offset: number | bigint): void {
    this.offsets[i] = offset;
  }

  failed(i: number, s: Status): void {
    (this.statuses ??= new Array<Status>(this.length).fill(OK))[i] = s;
    this.offsets[i] = 0;
    if (this.status === OK && s.code !== 'OK') this.status = s;
  }

  transaction(i: number, transactionId: string, halfOffset: number | bigint): void {
    (this.transactionIds ??= new Array<string>(this.length).fill(''))[i] = transactionId;
    this.offsets[i] = halfOffset;
  }

  delayed(i: number, recallHandle: string): void {
    (this.recallHandles ??= new Array<string>(this.length).fill(''))[i] = recallHandle;
    this.offsets[i] = -1;
  }

  statusOf(i: number): Status {
    return this.statuses?.[i] ?? OK;
  }

  transactionIdOf(i: number): string {
    return this.transactionIds?.[i] ?? '';
  }

  recallHandleOf(i: number): string {
    return this.recallHandles?.[i] ?? '';
  }

  /** The entries as plain objects (what proto-loader encodes, and what tests read). */
  get entries(): Pb[] {
    return this.messageIds.map((messageId, i) => ({ status: this.statusOf(i), messageId, transactionId: this.transactionIdOf(i), offset: String(this.offsets[i]), recallHandle: this.recallHandleOf(i) }));
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A status's fields (code by number, message), or null for a code the protos do not name. */
function statusBytes(s: Status, codes: ReadonlyMap<string, number>): Buffer | null {
  const n = codes.get(s.code);
  if (n === undefined || typeof s.message !== 'string') return null;
  const scratch = new Writer();
  scratch.number(1, n);
  scratch.string(2, s.message);
  return scratch.take();
}

let okCodes: ReadonlyMap<string, number> | null = null;
let okBytes: Buffer | null = null;

// One buffer for every answer (encoding is synchronous), grown as needed;
// the answer is copied out of it. Fields are written here by hand, not
// through Writer's calls per field; strings by utf8Write, which costs the
// broker less than Writer's loop over the chars did for a message id.
let out = Buffer.allocUnsafe(16384);

/** A string field at `p` (room made: 6 + 3 bytes a UTF-16 unit); returns the position after it. */
function putString(buf: Buffer, p: number, tag: number, s: string): number {
  buf[p++] = tag;
  const n = s.length;
  if (n === 0) {
    buf[p] = 0;
    return p + 1;
  }
  if (n < 43) {
    // At most 127 bytes as UTF-8: a one-byte length, written once the bytes are.
    const bytes = buf.utf8Write(s, p + 1);
    buf[p] = bytes;
    return p + 1 + bytes;
  }
  p = putVarint(buf, p, Buffer.byteLength(s));
  return p + buf.utf8Write(s, p);
}

/** An unsigned varint of a number below 2^53. */
function putVarint(buf: Buffer, p: number, v: number): number {
  while (v > 127) {
    buf[p++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

/** An int64 varint (a negative one in ten bytes, as two's complement). */
function putInt64(buf: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= 0) return putVarint(buf, p, v);
  let u = BigInt.asUintN(64, BigInt(v));
  while (u > 127n) {
    buf[p++] = Number(u & 127n) | 128;
    u >>= 7n;
  }
  buf[p++] = Number(u);
  return p;
}

function putBytes(buf: Buffer, p: number, tag: number, b: Buffer): number {
  buf[p++] = tag;
  p = putVarint(buf, p, b.length);
  for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
  return p;
}

/** SendMessageResponse's bytes, or null where proto-loader is to encode `answer` (a status code it alone can refuse). */
export function encodeSendAnswer(answer: SendAnswer, codes: ReadonlyMap<string, number>): Buffer | null {
  if (okCodes !== codes || OK.code !== 'OK' || OK.message !== 'OK') {
    okBytes = statusBytes(OK, codes);
    okCodes = codes;
  }
  const ok = okBytes;
  if (ok === null) return null;
  const top = answer.status === OK ? ok : statusBytes(answer.status, codes);
  if (top === null) return null;
  const n = answer.length;
  const statuses: Buffer[] = new Array<Buffer>(n);
  // Room for the most every field could take: 6 bytes of tag and length a field, 3 a UTF-16 unit.
  let room = 6 + top.length;
  for (let i = 0; i < n; i++) {
    const s = answer.statusOf(i);
    const sb = s === OK ? ok : statusBytes(s, codes);
    const offset = answer.offsets[i]!;
    if (sb === null || (typeof offset === 'bigint' && (offset < INT64_MIN || offset > INT64_MAX))) return null;
    statuses[i] = sb;
    room += 6 + 6 + sb.length + 11 + 18 + 3 * (answer.messageIds[i]!.length + answer.transactionIdOf(i).length + answer.recallHandleOf(i).length);
  }
  if (out.length < room) out = Buffer.allocUnsafe(Math.max(room, 2 * out.length));
  const buf = out;
  let p = putBytes(buf, 0, 10, top);
  for (let i = 0; i < n; i++) {
    buf[p++] = 18;
    // The entry's length in one byte, the usual case; moved along if it takes more.
    const at = p++;
    p = putBytes(buf, p, 10, statuses[i]!);
    p = putString(buf, p, 18, answer.messageIds[i]!);
    p = putString(buf, p, 26, answer.transactionIdOf(i));
    buf[p++] = 32;
    p = putInt64(buf, p, answer.offsets[i]!);
    p = putString(buf, p, 42, answer.recallHandleOf(i));
    const length = p - at - 1;
    if (length < 128) buf[at] = length;
    else {
      const entry = Buffer.from(buf.subarray(at + 1, p));
      const q = putVarint(buf, at, length);
      p = q + entry.copy(buf, q);
    }
  }
  const answerBytes = Buffer.allocUnsafe(p);
  buf.copy(answerBytes, 0, 0, p);
  return answerBytes;
}
