// SendMessageRequest decoded by hand straight into what the broker takes
// (topic, queue, OutgoingMessage): what proto-loader's decode and then
// convert.ts incoming() make of the same bytes, without the plain objects
// in between (a message, its system properties, a Timestamp, a Resource
// each). It gives up (null: proto-loader decodes, then incoming()) on
// exactly the bytes the plain-object decoder it replaces gave up on: a
// field it does not know, a wire type not the field's, a length past its
// message, a varint longer than its type's usual encoding; fields the
// broker does not read are checked as that decoder checked them, then
// dropped. The test compares both ways on varied and damaged requests.
import type { OutgoingMessage } from '../../broker/rocketmq/publish.js';
import type { ParsedSend } from './send.js';
import { NOT_MINE, Reader, readTime } from './wire.js';

/** The messages of a SendMessageRequest the hand decoder read. */
export class SendRequest {
  constructor(readonly messages: ParsedSend[]) {}
}

/** apache.rocketmq.v2.MessageType's names by number (definition.proto); a number no name has stays that number, as a string. */
const MESSAGE_TYPES = ['MESSAGE_TYPE_UNSPECIFIED', 'NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'LITE', 'PRIORITY'];
/** Encoding.GZIP's number. */
const GZIP = 2;

/**
 * A string field that is mostly the same from message to message (a
 * request's topic, a producer's host): the last one's bytes are kept, and
 * the same bytes again give the same string without decoding it again.
 */
export class LastString {
  private bytes = Buffer.alloc(0);
  private value = '';

  constructor(private readonly maxBytes: number) {}

  read(r: Reader, outerEnd: number): string {
    const to = r.lengthEnd(outerEnd);
    const from = r.pos;
    r.pos = to;
    return this.at(r.buf, from, to);
  }

  /** The text of buf[from, to) (UTF-8). */
  at(buf: Buffer, from: number, to: number): string {
    const n = to - from;
    if (n === 0) return '';
    const last = this.bytes;
    if (n === last.length) {
      let i = 0;
      while (i < n && buf[from + i] === last[i]) i++;
      if (i === n) return this.value;
    }
    const s = buf.utf8Slice(from, to);
    if (n <= this.maxBytes) {
      this.bytes = Buffer.from(buf.subarray(from, to));
      this.value = s;
    }
    return s;
  }
}

export const topicNames = new LastString(256);
const bornHosts = new LastString(64);

export function decodeSendRequest(buf: Buffer, nowMs = Date.now()): SendRequest | null {
  try {
    const r = new Reader(buf);
    const end = buf.length;
    const messages: ParsedSend[] = [];
    while (r.pos < end) {
      if (r.uint32(end) !== 10) throw NOT_MINE;
      messages.push(message(r, end, nowMs));
    }
    return new SendRequest(messages);
  } catch (err) {
    if (err === NOT_MINE) return null;
    throw err;
  }
}

/** The system properties the broker reads; a later systemProperties field replaces an earlier one whole, as protobufjs decodes it. */
interface System {
  tag: string | null;
  keys: string[];
  messageId: string;
  gzip: boolean;
  messageType: string;
  bornMs: bigint | null;
  bornHost: string;
  deliveryMs: bigint | null;
  queueId: number;
  messageGroup: string | null;
  traceContext: string | null;
}

/** Where systemProperties() reads into: one for every message (decoding is synchronous), its fields copied out. */
const scratch: System = { tag: null, keys: [], messageId: '', gzip: false, messageType: '', bornMs: null, bornHost: '', deliveryMs: null, queueId: 0, messageGroup: null, traceContext: null };

/**
 * Shared by the messages without any key or user property (most): an
 * array and a Map that refuse changes (frozen; a Map whose mutators throw),
 * so a change meant for one message cannot reach the others.
 */
const NO_KEYS = Object.freeze([]) as unknown as string[];

class NoProperties extends Map<string, string> {
  override set(): this {
    throw new TypeError('the user properties of a message without any are shared: give it a Map of its own first');
  }

  override delete(): boolean {
    throw new TypeError('the user properties of a message without any are shared');
  }

  override clear(): void {
    throw new TypeError('the user properties of a message without any are shared');
  }
}

const NO_PROPERTIES: Map<string, string> = new NoProperties();

function message(r: Reader, outerEnd: number, nowMs: number): ParsedSend {
  const end = r.lengthEnd(outerEnd);
  let topic = '';
  // Map entries go through an object as proto-loader's do (integer-like keys come first); one without a prototype, so `__proto__` is a key like any, as in proto-loader's.
  let props: Record<string, string> | null = null;
  let sp: System | null = null;
  let body: Buffer | null = null;
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case 10:
        topic = resourceName(r, end);
        break;
      case 18: {
        const entryEnd = r.lengthEnd(end);
        let k = '';
        let v = '';
        while (r.pos < entryEnd) {
          const t = r.uint32(entryEnd);
          if (t === 10) k = r.string(entryEnd);
          else if (t === 18) v = r.string(entryEnd);
          else throw NOT_MINE;
        }
        (props ??= Object.create(null) as Record<string, string>)[k] = v;
        break;
      }
      case 26:
        sp = systemProperties(r, end);
        break;
      case 34:
        body = r.bytes(end);
        break;
      default:
        throw NOT_MINE;
    }
  }
  let userProperties = NO_PROPERTIES;
  if (props !== null) {
    userProperties = new Map<string, string>();
    for (const [k, v] of Object.entries(props)) userProperties.set(k, v);
  }
  if (sp === null) {
    const m: OutgoingMessage = { messageId: '', body: body ?? Buffer.alloc(0), tag: null, keys: NO_KEYS, messageGroup: null, deliveryTimestampMs: null, bornTimestampMs: BigInt(nowMs), bornHost: '', bodyEncoding: 'IDENTITY', traceContext: null, userProperties, declaredType: 'MESSAGE_TYPE_UNSPECIFIED' };
    return { topic, queueId: 0, message: m };
  }
  const m: OutgoingMessage = {
    messageId: sp.messageId,
    body: body ?? Buffer.alloc(0),
    tag: sp.tag,
    keys: sp.keys.includes('') ? sp.keys.filter((k) => k !== '') : sp.keys,
    messageGroup: sp.messageGroup,
    deliveryTimestampMs: sp.deliveryMs,
    bornTimestampMs: sp.bornMs ?? BigInt(nowMs),
    bornHost: sp.bornHost,
    bodyEncoding: sp.gzip ? 'GZIP' : 'IDENTITY',
    traceContext: sp.traceContext,
    userProperties,
    declaredType: sp.messageType,
  };
  return { topic, queueId: sp.queueId, message: m };
}

/** A Resource's name (its namespace checked and skipped). */
function resourceName(r: Reader, outerEnd: number): string {
  const end = r.lengthEnd(outerEnd);
  let name = '';
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 10) r.pos = r.lengthEnd(end);
    else if (tag === 18) name = topicNames.read(r, end);
    else throw NOT_MINE;
  }
  return name;
}

function systemProperties(r: Reader, outerEnd: number): System {
  const end = r.lengthEnd(outerEnd);
  const sp = scratch;
  sp.tag = null;
  sp.keys = NO_KEYS;
  sp.messageId = '';
  sp.gzip = false;
  sp.messageType = 'MESSAGE_TYPE_UNSPECIFIED';
  sp.bornMs = null;
  sp.bornHost = '';
  sp.deliveryMs = null;
  sp.queueId = 0;
  sp.messageGroup = null;
  sp.traceContext = null;
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case 10: // 1 tag
        sp.tag = r.string(end);
        break;
      case 18: // 2 keys
        if (sp.keys === NO_KEYS) sp.keys = [];
        sp.keys.push(r.string(end));
        break;
      case 26: // 3 message_id
        sp.messageId = r.string(end);
        break;
      case 34: // 4 body_digest
        digest(r, end);
        break;
      case 40: // 5 body_encoding
        sp.gzip = (r.uint32(end) | 0) === GZIP;
        break;
      case 48: {
        // 6 message_type
        const n = r.uint32(end) | 0;
        sp.messageType = MESSAGE_TYPES[n] ?? String(n);
        break;
      }
      case 58: // 7 born_timestamp
        sp.bornMs = timeMs(r, end);
        break;
      case 66: // 8 born_host
        sp.bornHost = bornHosts.read(r, end);
        break;
      case 82: // 10 store_host
      case 98: // 12 receipt_handle
      case 170: // 21 lite_topic
        r.pos = r.lengthEnd(end);
        break;
      case 74: // 9 store_timestamp
      case 122: // 15 invisible_duration
      case 154: // 19 orphaned_transaction_recovery_duration
        readTime(r, end);
        break;
      case 90: // 11 delivery_timestamp
        sp.deliveryMs = timeMs(r, end);
        break;
      case 104: // 13 queue_id
        sp.queueId = r.uint32(end) | 0;
        break;
      case 112: // 14 queue_offset
        r.int64(end);
        break;
      case 128: // 16 delivery_attempt
      case 176: // 22 priority
        r.uint32(end);
        break;
      case 138: // 17 message_group
        sp.messageGroup = r.string(end);
        break;
      case 146: // 18 trace_context
        sp.traceContext = r.string(end);
        break;
      default:
        throw NOT_MINE;
    }
  }
  return sp;
}

function digest(r: Reader, outerEnd: number): void {
  const end = r.lengthEnd(outerEnd);
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 8) r.uint32(end);
    else if (tag === 18) r.pos = r.lengthEnd(end);
    else throw NOT_MINE;
  }
}

/** |seconds| below this, times 1,000, plus the millis, is exact in a double. */
const EXACT_SECONDS = 2 ** 43;

/** A google.protobuf.Timestamp in milliseconds, as convert.ts timestampMs() makes of proto-loader's (seconds × 1,000 + nanos ÷ 10^6 floored). */
function timeMs(r: Reader, outerEnd: number): bigint {
  const end = r.lengthEnd(outerEnd);
  let seconds: number | bigint = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 8) seconds = r.int64(end);
    else if (tag === 16) nanos = r.uint32(end) | 0;
    else throw NOT_MINE;
  }
  const ms = Math.floor(nanos / 1e6);
  if (typeof seconds === 'number' && seconds < EXACT_SECONDS) return BigInt(seconds * 1000 + ms);
  return BigInt(seconds) * 1000n + BigInt(ms);
}
