// SendMessage's plain requests, read by the addon (native/rmq_send.cc)
// straight into the record batch publish.ts appends: one topic and queue,
// NORMAL or FIFO messages that pass every check needing no broker. The
// broker checks the rest (takesBatch); a request either leaves is decoded
// again by decode-send.ts, whose path gives the answer or the error.
// Nothing is made per message: the tag codes are views of a shared block,
// the message ids stay bytes of the request until the answer copies them,
// and then those bytes go back to be assembled into again (send-answer.ts).
import { MAX_PROPERTY_BYTES } from '../../broker/rocketmq/publish.js';
import type { MessageType } from '../../broker/rocketmq/message-type.js';
import { native } from '../../native/addon.js';
import { BufferPool } from '../buffer-pool.js';
import { topicNames } from './decode-send.js';

/** MessageType's names by number, as far as the addon takes them (it declines DELAY: a delayed message has a delivery time). */
const TYPES: readonly (MessageType | null)[] = [null, 'NORMAL', 'FIFO'];

/** Messages per request the addon takes; a request of more is the JavaScript path's. */
export const MAX_NATIVE_MESSAGES = 4096;

/** Message ids as their bytes in a request: no string per message. */
export class RawIds {
  constructor(
    readonly bytes: Buffer,
    /** Each id's start and end in bytes. */
    readonly spans: Float64Array,
  ) {}

  get length(): number {
    return this.spans.length / 2;
  }

  at(i: number): string {
    return this.bytes.utf8Slice(this.spans[2 * i]!, this.spans[2 * i + 1]!);
  }
}

export class NativeSend {
  /** Whether its batch's buffer went back for another request (once). */
  private given = false;

  constructor(
    /** The request's bytes, for the JavaScript path if the broker's checks do not pass. */
    readonly bytes: Buffer,
    readonly topic: string,
    readonly queueId: number,
    readonly messageType: MessageType,
    /** The largest body's bytes. */
    readonly maxBody: number,
    /** A view of `backing`, which is used again once the batch is stored (or not to be). */
    readonly batch: Buffer,
    readonly tagCodes: BigInt64Array,
    readonly messageIds: RawIds,
    private readonly backing: Buffer,
  ) {}

  /** The batch is written (its append settled) or will not be: its buffer may take another request's. */
  done(): void {
    if (this.given) return;
    this.given = true;
    batchBuffers.giveBack(this.backing);
  }
}

/**
 * Buffers the addon writes batches into, each used again once its append
 * settled (the engines write an append's bytes before it settles and keep
 * none of them). A new buffer per request was external memory V8 counts:
 * at 16 KiB sends it started a mark-compact every 130 ms or so, and its
 * helper threads' marking cost the broker more than the batches' encoding.
 * A request whose handler never settles its batch (refused before the
 * append) leaves its buffer to the collector. 16 MiB at most are kept: 64
 * requests in flight (the load tools' and clients' windows) of up to 256 KiB.
 */
const batchBuffers = new BufferPool(16 * 1024, 256 * 1024, 16 * 1024 * 1024);

const info = new Float64Array(6 + 2 * MAX_NATIVE_MESSAGES);

/** Message id spans likewise: a view of a block each, not a Float64Array (and its memory) of their own. */
const SPANS_BLOCK = 8 * MAX_NATIVE_MESSAGES;
let spans = new Float64Array(SPANS_BLOCK);
let spansUsed = 0;

/** Tag codes are handed out as views of a block, each its own (as message-batch.ts's), so a batch's cost no allocation of their own. */
const CODES_BLOCK = 16 * MAX_NATIVE_MESSAGES;
let codes = new BigInt64Array(CODES_BLOCK);
let codesUsed = 0;

/** The request read by the addon, or null where decode-send.ts is to read it. */
export function nativeSend(bytes: Buffer, nowMs = Date.now()): NativeSend | null {
  if (codesUsed + MAX_NATIVE_MESSAGES > codes.length) {
    codes = new BigInt64Array(CODES_BLOCK);
    codesUsed = 0;
  }
  // A batch is about its request's size (each message's id is written again, as a header).
  let into = batchBuffers.lend(Math.ceil(bytes.length * 1.125));
  let size = native.rmqEncodeSend(bytes, nowMs, MAX_PROPERTY_BYTES, info, codes, codesUsed, into);
  if (size !== null && size < 0) {
    batchBuffers.giveBack(into);
    into = batchBuffers.lend(-size);
    size = native.rmqEncodeSend(bytes, nowMs, MAX_PROPERTY_BYTES, info, codes, codesUsed, into);
  }
  if (size === null || size < 0) {
    batchBuffers.giveBack(into);
    return null;
  }
  const type = TYPES[info[3]!];
  if (!type) throw new Error(`rmqEncodeSend: MessageType ${info[3]} is not one it takes`);
  const n = info[5]!;
  const tagCodes = codes.subarray(codesUsed, codesUsed + n);
  codesUsed += n;
  if (spansUsed + 2 * n > spans.length) {
    spans = new Float64Array(SPANS_BLOCK);
    spansUsed = 0;
  }
  const idSpans = spans.subarray(spansUsed, spansUsed + 2 * n);
  spansUsed += 2 * n;
  for (let i = 0; i < 2 * n; i++) idSpans[i] = info[6 + i]!;
  return new NativeSend(bytes, topicNames.at(bytes, info[0]!, info[1]!), info[2]!, type, info[4]!, into.subarray(0, size), tagCodes, new RawIds(bytes, idSpans), into);
}
