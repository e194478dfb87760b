// One gRPC call on an HTTP/2 stream, as its handler sees it: the request
// (or, for a client stream, 'data' and 'end' events), the metadata, the
// deadline and the peer; write() and end() for the answer, which leaves
// with the connection's next flush (everything written before the event
// loop's check phase goes out together). Events: 'data', 'end' (the client's
// messages), 'cancelled' (reset, deadline, connection gone before the
// answer was out), 'finish' (the answer handed to the socket), 'close'.
import { EventEmitter } from 'node:events';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { H2Stream, H2StreamEvents } from '../http2/stream.js';
import { ByteQueue } from '../byte-queue.js';
import { BufferPool } from '../buffer-pool.js';
import { GRPC_STATUS, MESSAGE_PREFIX_BYTES, messagePrefix, RESPONSE_HEADERS, trailers } from './wire.js';

export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
}

/** Headers that are gRPC's or HTTP's own, not the call's metadata. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(['content-type', 'te', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'user-agent', 'connection', 'host']);

/**
 * The call's custom metadata: every header that is not a pseudo-header or
 * gRPC's own; `-bin` values as bytes. Read from the call's header list
 * when asked (a call's handler asks for one or two), not sorted into a map
 * for every call.
 */
export class CallMetadata {
  constructor(private readonly headers: ReadonlyArray<readonly [string, string]>) {}

  get(name: string): Array<string | Buffer> {
    const out: Array<string | Buffer> = [];
    if (name.charCodeAt(0) === 0x3a /* : */ || RESERVED_HEADERS.has(name)) return out;
    const bin = name.endsWith('-bin');
    for (const [n, v] of this.headers) if (n === name) out.push(bin ? Buffer.from(v, 'base64') : v);
    return out;
  }
}

/** A gRPC error a handler can answer with (the code is GRPC_STATUS's). */
export class GrpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * Where a request message of several DATA frames is assembled, and a large
 * frame split between two reads joined (server.ts lends them to the
 * connection's FrameReader). A handler done with such a request's bytes
 * gives them back (SendMessage's, once its answer is encoded:
 * rocketmq/send-answer.ts), so batched sends do not make a fresh
 * ArrayBuffer each; any other is left to the collector.
 */
export const requestBuffers = new BufferPool(16 * 1024, 256 * 1024, 8 * 1024 * 1024);

export interface CallLimits {
  /** A message larger than this (decompressed too) ends the call with RESOURCE_EXHAUSTED. */
  maxRequestBytes: number;
}

/** Bytes of unfinished request messages held for one connection's calls, and the most it may hold. */
export interface RequestBudget {
  held: number;
  readonly max: number;
}

export class ServerCall extends EventEmitter implements H2StreamEvents {
  /** The request of a unary or server-streaming call. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- proto messages are loader objects
  request: any = undefined;
  cancelled = false;
  /** Who the call is from, once its credentials were checked (rocketmq/auth.ts). */
  principal: string | undefined = undefined;
  private responded = false;
  private ended = false;
  private closed = false;
  /** Messages of a unary or server-streaming call, until the client ends its side. */
  private readonly received: unknown[] = [];
  /** What arrived of the messages not yet whole (or assembled in place). */
  private readonly input = new ByteQueue();
  /** The message being assembled in place once half of it is here, and how much of it has come. */
  private assembly: Buffer | null = null;
  private assembled = 0;
  /** The message being assembled: its length once its prefix is in, and whether it is compressed. */
  private need = -1;
  private compressed = false;
  private discarding = false;
  /** What this call holds of the connection's RequestBudget. */
  private held = 0;
  /** The stream closed normally before its END_STREAM reached the socket: 'close' follows 'finish'. */
  private closeAfterFinish = false;

  constructor(
    private readonly stream: H2Stream,
    readonly method: MethodDefinition,
    readonly metadata: CallMetadata,
    private readonly deadline: number,
    private readonly peer: string,
    private readonly limits: CallLimits,
    private readonly budget: RequestBudget,
    private readonly encoding: 'gzip' | 'deflate' | null,
    private readonly start: (call: ServerCall) => void,
  ) {
    super();
    stream.events = this;
  }

  // The stream's events (H2StreamEvents): streamSent here, streamClosed, streamEnd and streamData below.

  streamSent(): void {
    this.emit('finish');
    if (this.closeAfterFinish) this.leave();
  }

  /** A unary handler runs: the call counts against its connection's stream limit until it answers, even if the client resets it. */
  hold(): void {
    this.stream.hold();
  }

  getPeer(): string {
    return this.peer;
  }

  /** Date.now() by which the client's grpc-timeout ends the call; Infinity without one. */
  getDeadline(): number {
    return this.deadline;
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  get destroyed(): boolean {
    return this.closed;
  }

  /** One response message (a proto object, or bytes the method's serializer passes on). */
  write(message: unknown): boolean {
    if (this.ended || this.closed) return false;
    let bytes: Buffer;
    try {
      bytes = this.method.responseSerialize(message);
    } catch (err) {
      this.sendStatus(GRPC_STATUS.INTERNAL, `the response does not encode: ${(err as Error).message}`);
      return false;
    }
    this.respondOnce();
    this.stream.write(messagePrefix(bytes.length));
    this.stream.write(bytes);
    return true;
  }

  /** Bytes of response messages already serialized with their 5-byte gRPC prefixes (a message may come in several writes in a row, its body apart). */
  writeFramed(frame: Buffer): boolean {
    if (this.ended || this.closed) return false;
    this.respondOnce();
    this.stream.write(frame);
    return true;
  }

  private respondOnce(): void {
    if (this.responded) return;
    this.responded = true;
    this.stream.respond(RESPONSE_HEADERS);
  }

  end(): void {
    this.sendStatus(GRPC_STATUS.OK, '');
  }

  /** The unary handler answered (or gave up): the call no longer counts against the stream limit once closed. */
  release(): void {
    this.stream.release();
  }

  /** Ends the call with this status (trailers; a trailers-only response if nothing was written). */
  sendStatus(code: number, message: string): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.stream.end(trailers(code, message, !this.responded));
  }

  /** The deadline passed (the server's sweep): answered DEADLINE_EXCEEDED; an answer still unsent `graceMs` after it, reset. */
  expire(now: number, graceMs: number): void {
    if (this.closed || now < this.deadline) return;
    if (!this.ended) {
      this.cancel();
      this.sendStatus(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded');
    } else if (now - this.deadline >= graceMs) {
      this.stream.reset(8 /* CANCEL */);
    }
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled');
  }

  streamClosed(reset: number | null): void {
    this.closed = true;
    this.releaseHeld();
    if (reset !== null || !this.ended) this.cancel();
    if (reset === null && this.ended) this.closeAfterFinish = true;
    else this.leave();
  }

  /** Closed: 'close'. */
  private leave(): void {
    this.emit('close');
  }

  streamEnd(): void {
    if (this.ended || this.closed) return;
    if (this.method.requestStream) {
      this.emit('end');
      return;
    }
    if (this.need !== -1 || this.input.bytes > 0) return this.sendStatus(GRPC_STATUS.INTERNAL, 'the request ended inside a message');
    if (this.received.length !== 1) return this.sendStatus(GRPC_STATUS.UNIMPLEMENTED, `expected one request message, got ${this.received.length}`);
    this.request = this.received[0];
    this.start(this);
  }

  streamData(chunk: Buffer): void {
    if (this.discarding || this.ended) return;
    // The usual unary request: one DATA payload that is exactly one whole message, nothing held before it.
    if (this.need === -1 && this.assembly === null && this.input.bytes === 0 && chunk.length >= MESSAGE_PREFIX_BYTES) {
      const need = chunk.readUInt32BE(1);
      if (chunk.length === MESSAGE_PREFIX_BYTES + need) {
        if (need > this.limits.maxRequestBytes) return this.refuse(need);
        this.compressed = chunk[0] !== 0;
        this.message(chunk.subarray(MESSAGE_PREFIX_BYTES));
        return;
      }
    }
    let rest = chunk;
    if (this.assembly !== null) {
      const k = Math.min(rest.length, this.need - this.assembled);
      rest.copy(this.assembly, this.assembled, 0, k);
      this.assembled += k;
      if (this.assembled < this.need) return;
      const bytes = this.assembly;
      this.assembly = null;
      this.need = -1;
      this.message(bytes);
      rest = rest.subarray(k);
    }
    this.input.push(rest);
    while (!this.ended && !this.discarding) {
      if (this.need === -1) {
        if (this.input.bytes < MESSAGE_PREFIX_BYTES) break;
        const head = this.input.take(MESSAGE_PREFIX_BYTES);
        this.compressed = head[0] !== 0;
        this.need = head.readUInt32BE(1);
        if (this.need > this.limits.maxRequestBytes) return this.refuse(this.need);
      }
      if (this.input.bytes < this.need) {
        // Half of it or more is here (a message of several DATA frames): the
        // rest is copied straight into its place as it comes, one copy in all.
        if (this.input.bytes * 2 >= this.need) {
          this.assembled = this.input.bytes;
          this.assembly = requestBuffers.lend(this.need).subarray(0, this.need);
          this.input.takeInto(this.assembled, this.assembly);
        }
        break;
      }
      const bytes = this.input.take(this.need);
      this.need = -1;
      this.message(bytes);
    }
    this.holdParts();
  }

  /**
   * What waits for later DATA is copied out of the socket's reads (a view
   * would keep a whole read, and the frames around it, for a few bytes) and
   * counted against the connection's budget for unfinished requests, with
   * the buffer a message is assembled in: all of its memory, which the pool
   * rounds up to a power of two (up to twice the message, itself at most
   * twice what came), so the budget bounds the memory held, not less.
   */
  private holdParts(): void {
    if (this.discarding || this.ended) return this.releaseHeld();
    this.input.own();
    const holding = this.input.bytes + (this.assembly === null ? 0 : this.assembly.buffer.byteLength);
    const delta = holding - this.held;
    this.held = holding;
    this.budget.held += delta;
    if (delta > 0 && this.budget.held > this.budget.max) {
      this.discarding = true;
      this.input.clear();
      this.assembly = null;
      this.releaseHeld();
      this.sendStatus(GRPC_STATUS.RESOURCE_EXHAUSTED, `this connection's calls hold more than ${this.budget.max} bytes of unfinished requests`);
    }
  }

  private releaseHeld(): void {
    this.budget.held -= this.held;
    this.held = 0;
  }

  private message(raw: Buffer): void {
    let bytes = raw;
    if (this.compressed) {
      if (this.encoding === null) return this.sendStatus(GRPC_STATUS.INTERNAL, 'a compressed message without grpc-encoding');
      try {
        const inflate = this.encoding === 'gzip' ? gunzipSync : inflateSync;
        bytes = inflate(raw, { maxOutputLength: this.limits.maxRequestBytes + 1 });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ERR_BUFFER_TOO_LARGE') return this.refuse(this.limits.maxRequestBytes + 1);
        return this.sendStatus(GRPC_STATUS.INTERNAL, `the message does not decompress (${this.encoding}): ${e.message}`);
      }
      if (bytes.length > this.limits.maxRequestBytes) return this.refuse(bytes.length);
    }
    let decoded: unknown;
    try {
      decoded = this.method.requestDeserialize(bytes);
    } catch (err) {
      return this.sendStatus(GRPC_STATUS.INTERNAL, `the request does not decode: ${(err as Error).message}`);
    }
    if (this.method.requestStream) this.emit('data', decoded);
    else if (this.received.length === 0) this.received.push(decoded);
    else {
      this.discarding = true;
      this.sendStatus(GRPC_STATUS.INTERNAL, `${this.method.path} takes one request message; a second came`);
    }
  }

  private refuse(length: number): void {
    this.discarding = true;
    this.input.clear();
    this.assembly = null;
    this.releaseHeld();
    this.sendStatus(GRPC_STATUS.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${this.limits.maxRequestBytes})`);
  }
}
