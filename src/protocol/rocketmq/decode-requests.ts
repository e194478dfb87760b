// AckMessageRequest and ReceiveMessageRequest decoded by hand into the
// plain objects proto-loader's decode makes (camelCase fields, defaults
// filled, enums by name, int64 as decimal strings, proto3 `optional` fields
// only when present with their `_name` oneof marker), without protobufjs's
// message objects, Longs and toObject copies (SendMessageRequest:
// decode-send.ts). Bytes in any other shape (a field these do not know, a
// wire type not the field's, lengths past their message) are left to
// proto-loader (null): unusual input gets exactly its answer. The test
// decodes varied requests both ways and compares them field by field.
import { isAscii } from 'node:buffer';
import { enumName, NOT_MINE, Reader, readResource, readTime } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

/** Enum names by number, as the protos declare them (definition.proto). */
const names = (list: string[]): ReadonlyMap<number, string> => new Map(list.map((n, i) => [i, n]));
const FILTER_TYPE = names(['FILTER_TYPE_UNSPECIFIED', 'TAG', 'SQL']);
const PERMISSION = names(['PERMISSION_UNSPECIFIED', 'NONE', 'READ', 'WRITE', 'READ_WRITE']);

/** Runs a hand decoder; null where it leaves the bytes to proto-loader. */
function attempt(buf: Buffer, decode: (r: Reader) => Pb): Pb | null {
  try {
    return decode(new Reader(buf));
  } catch (err) {
    if (err === NOT_MINE) return null;
    throw err;
  }
}

export function decodeAckMessageRequest(buf: Buffer): Pb | null {
  return attempt(buf, (r) => {
    const end = buf.length;
    const req: Pb = { entries: [], group: null, topic: null };
    let echo: number[] | null = [];
    while (r.pos < end) {
      const tag = r.uint32(end);
      if (tag === 10) req.group = readResource(r, end);
      else if (tag === 18) req.topic = readResource(r, end);
      else if (tag === 26) {
        const entryEnd = r.lengthEnd(end);
        const entryAt = r.pos;
        const e: Pb = { messageId: '', receiptHandle: '' };
        while (r.pos < entryEnd) {
          const t = r.uint32(entryEnd);
          if (t === 10) e.messageId = r.string(entryEnd);
          else if (t === 18) e.receiptHandle = r.string(entryEnd);
          else if (t === 26) {
            e.liteTopic = r.string(entryEnd);
            e._liteTopic = 'liteTopic';
          } else throw NOT_MINE;
        }
        req.entries.push(e);
        if (echo !== null && echoable(buf, entryAt, entryEnd)) echo.push(entryAt, entryEnd);
        else echo = null;
      } else throw NOT_MINE;
    }
    if (echo !== null && echo.length > 0) Object.defineProperty(req, ACK_ECHO, { value: { bytes: buf, spans: echo } satisfies AckEcho });
    return req;
  });
}

/**
 * An AckMessageRequest in its plainest shape, the one clients send: every
 * entry exactly a message id and a receipt handle (echoable below). Kept
 * as its bytes: the handles are parsed from them (receipt-handle.ts
 * ackHandles), and texts are made only for an answer with a failure.
 */
export class PlainAcks {
  constructor(
    readonly group: Pb | null,
    readonly topic: Pb | null,
    readonly bytes: Buffer,
    /** Each entry's [start, end) in bytes. */
    readonly spans: number[],
  ) {}

  get count(): number {
    return this.spans.length / 2;
  }

  /** Where entry i's receipt handle starts (it runs to the entry's end). */
  handleAt(i: number): number {
    const at = this.spans[2 * i]!;
    return at + 4 + this.bytes[at + 1]!;
  }

  handleEnd(i: number): number {
    return this.spans[2 * i + 1]!;
  }

  /** The entries as decodeAckMessageRequest gives them. */
  entries(): Pb[] {
    return Array.from({ length: this.count }, (_, i) => {
      const at = this.spans[2 * i]!;
      return { messageId: this.bytes.latin1Slice(at + 2, at + 2 + this.bytes[at + 1]!), receiptHandle: this.bytes.latin1Slice(this.handleAt(i), this.handleEnd(i)) };
    });
  }

  get echo(): AckEcho {
    return { bytes: this.bytes, spans: this.spans };
  }
}

/** The request as PlainAcks, or null where it is not in that shape (decodeAckMessageRequest then reads it). */
export function decodePlainAcks(buf: Buffer): PlainAcks | null {
  try {
    const r = new Reader(buf);
    const end = buf.length;
    let group: Pb | null = null;
    let topic: Pb | null = null;
    const spans: number[] = [];
    // Clients' requests are ASCII throughout: checked at once, natively, not entry by entry.
    const ascii = isAscii(buf);
    while (r.pos < end) {
      const tag = r.uint32(end);
      if (tag === 10) group = readResource(r, end);
      else if (tag === 18) topic = readResource(r, end);
      else if (tag === 26) {
        const entryEnd = r.lengthEnd(end);
        if (!echoable(buf, r.pos, entryEnd, ascii)) return null;
        spans.push(r.pos, entryEnd);
        r.pos = entryEnd;
      } else return null;
    }
    return spans.length > 0 ? new PlainAcks(group, topic, buf, spans) : null;
  } catch (err) {
    if (err === NOT_MINE) return null;
    throw err;
  }
}

/** An AckMessageRequest's entries as they came: bytes, and each entry's [start, end) in them, one after the other. */
export interface AckEcho {
  bytes: Buffer;
  spans: number[];
}

const ACK_ECHO = Symbol('the entries as they came');

/**
 * The entries of an AckMessageRequest decoded here, as bytes an answer can
 * repeat (encode-answers.ts encodeAckEcho), or null. An answer's entry has
 * the request entry's message_id (1) and receipt_handle (2), then its
 * status (3): where the request's entry is exactly those two fields, in
 * that order, not empty, ASCII and one-byte lengths, its bytes are what
 * proto-loader would write for them.
 */
export function ackEcho(request: Pb): AckEcho | null {
  return (request as Record<symbol, AckEcho | undefined>)[ACK_ECHO] ?? null;
}

/** `ascii`: the whole of buf is ASCII (known already). */
function echoable(buf: Buffer, at: number, end: number, ascii = false): boolean {
  if (buf[at] !== 10) return false;
  const idLength = buf[at + 1]!;
  const handleAt = at + 2 + idLength;
  if (idLength === 0 || idLength > 127 || buf[handleAt] !== 18) return false;
  const handleLength = buf[handleAt + 1]!;
  if (handleLength === 0 || handleLength > 127 || handleAt + 2 + handleLength !== end) return false;
  if (ascii) return true;
  for (let i = at + 2; i < end; i++) if (buf[i]! > 127) return false;
  return true;
}

export function decodeReceiveMessageRequest(buf: Buffer): Pb | null {
  return attempt(buf, (r) => {
    const end = buf.length;
    const req: Pb = { group: null, messageQueue: null, filterExpression: null, batchSize: 0, autoRenew: false };
    while (r.pos < end) {
      const tag = r.uint32(end);
      switch (tag) {
        case 10:
          req.group = readResource(r, end);
          break;
        case 18:
          req.messageQueue = messageQueue(r, end);
          break;
        case 26: {
          const fEnd = r.lengthEnd(end);
          const f: Pb = { type: 'FILTER_TYPE_UNSPECIFIED', expression: '' };
          while (r.pos < fEnd) {
            const t = r.uint32(fEnd);
            if (t === 8) f.type = enumName(FILTER_TYPE, r.uint32(fEnd) | 0);
            else if (t === 18) f.expression = r.string(fEnd);
            else throw NOT_MINE;
          }
          req.filterExpression = f;
          break;
        }
        case 32:
          req.batchSize = r.uint32(end) | 0;
          break;
        case 42:
          req.invisibleDuration = readTime(r, end);
          req._invisibleDuration = 'invisibleDuration';
          break;
        case 48:
          req.autoRenew = r.uint32(end) !== 0;
          break;
        case 58:
          req.longPollingTimeout = readTime(r, end);
          req._longPollingTimeout = 'longPollingTimeout';
          break;
        case 66:
          req.attemptId = r.string(end);
          req._attemptId = 'attemptId';
          break;
        default:
          throw NOT_MINE;
      }
    }
    return req;
  });
}

/** A MessageQueue without a broker (what consumers send); one with a broker or message types is left to proto-loader. */
function messageQueue(r: Reader, outerEnd: number): Pb {
  const end = r.lengthEnd(outerEnd);
  const q: Pb = { acceptMessageTypes: [], topic: null, id: 0, permission: 'PERMISSION_UNSPECIFIED', broker: null };
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 10) q.topic = readResource(r, end);
    else if (tag === 16) q.id = r.uint32(end) | 0;
    else if (tag === 24) q.permission = enumName(PERMISSION, r.uint32(end) | 0);
    else throw NOT_MINE;
  }
  return q;
}
