// Receipt handles: opaque to clients, to us `1.<queue>.<offset>.<token>`
// (`2.` for a delivery from the consumer group's retry topic, whose queue
// and offset those are), the queue and offset of one delivery plus a token that tells it from
// every other delivery of that offset. A receive's deliveries share one
// token (their offsets differ), so the pop state and journal keep it once
// per receive, and the handle's text is written only into the answer. The
// token carries this process's instance id, so a handle issued before a
// restart (whose in-flight state is gone) is recognised as such instead of
// matching a later delivery of the same offset. Offsets are those of the
// queue state: below 2^53 (a longer one is no handle this broker issues).
import { randomBytes } from 'node:crypto';
import { native } from '../../native/addon.js';

export interface ParsedHandle {
  /** A delivery from the group's retry topic. */
  retry: boolean;
  partition: number;
  offset: number;
  instance: string;
  /** Everything after the offset: the delivery's token. */
  token: string;
}

export class ReceiptHandles {
  readonly instance = randomBytes(6).toString('hex');
  private seq = 0;

  /** A token no delivery has had: `<instance>.<sequence, base 36>`. */
  token(): string {
    return `${this.instance}.${(++this.seq).toString(36)}`;
  }
}

export function handleOf(partition: number, offset: number, token: string, retry = false): string {
  return `${retry ? 2 : 1}.${partition}.${offset}.${token}`;
}

/** The token of a handle as issued (after its offset); '' for any other text. */
export function tokenOf(handle: string): string {
  return parseHandle(handle)?.token ?? '';
}

/** What a handle is; read without the regular expression (an ack's every entry comes to ackHandles). */
export const HANDLE = /^[12]\.(\d{1,9})\.(\d{1,19})\.([0-9a-f]{12})\.[0-9a-z]{1,13}$/;

/** Not ASCII: no handle (HANDLE matches ASCII only, and a latin1 copy of wider characters would lose their high bits). */
const NOT_ASCII = /[^\x00-\x7f]/;

/** parseHandle's tables: its own, so that it may be called while an ack's handles are being read. */
const oneSpan = new Float64Array(2);
const oneRow = new Float64Array(4);
const oneToken = new Float64Array(2);

/** The handle in a text (acks proto-loader decoded, ChangeInvisibleDuration, the journal), read by the addon as ackHandles reads an ack's. */
export function parseHandle(handle: string): ParsedHandle | null {
  if (handle.length < 19 || NOT_ASCII.test(handle)) return null;
  const b = Buffer.from(handle, 'latin1');
  oneSpan[1] = b.length;
  native.rmqParseHandles(b, oneSpan, 1, oneRow, oneToken);
  if (oneRow[0]! < 0) return null;
  const token = b.latin1Slice(oneToken[0]!, oneToken[1]!);
  return { retry: oneRow[0] === 1, partition: oneRow[1]!, offset: oneRow[2]!, instance: token.slice(0, 12), token };
}

/** ackHandles's tables, kept from ack to ack (grown as needed). */
let spans = new Float64Array(64);
let rows = new Float64Array(128);
let tokens = new Float64Array(64);
const ROW = 4;

/**
 * The receipt handles of an ack's `count` entries, b[at(i), end(i)), read
 * by the addon at once (native/rmq_acks.cc: exactly what HANDLE
 * matches, with the same parts, an offset past 2^53 - 1 refused; a token's
 * texts made once for the handles that share it): handle(i) for
 * PopService.ackEach. Each answer is the same object filled in again: read
 * it before asking for the next, and before another ack is read.
 */
export function ackHandles(b: Buffer, count: number, at: (i: number) => number, end: (i: number) => number): (i: number) => ParsedHandle | null {
  if (spans.length < 2 * count) {
    spans = new Float64Array(2 * count);
    rows = new Float64Array(ROW * count);
    tokens = new Float64Array(2 * count);
  }
  for (let i = 0; i < count; i++) {
    spans[2 * i] = at(i);
    spans[2 * i + 1] = end(i);
  }
  const n = native.rmqParseHandles(b, spans, count, rows, tokens);
  const texts = new Array<string>(n);
  const instances = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    texts[k] = b.latin1Slice(tokens[2 * k]!, tokens[2 * k + 1]!);
    instances[k] = b.latin1Slice(tokens[2 * k]!, tokens[2 * k]! + 12);
  }
  const h: ParsedHandle = { retry: false, partition: 0, offset: 0, instance: '', token: '' };
  return (i) => {
    const r = ROW * i;
    const kind = rows[r]!;
    if (kind < 0) return null;
    h.retry = kind === 1;
    h.partition = rows[r + 1]!;
    h.offset = rows[r + 2]!;
    h.token = texts[rows[r + 3]!]!;
    h.instance = instances[rows[r + 3]!]!;
    return h;
  };
}

declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
  }
}
