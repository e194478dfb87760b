// One client connection: frames in, responses out in request order.
//
// Requests of a connection are processed concurrently (so that, say, many
// produce requests under flush=batch share one fsync), but responses leave
// in the order the requests came, as Kafka clients require. Reading pauses
// while `maxInFlightRequests` are being processed or the broker-wide byte
// budget is spent.
import type { Socket } from 'node:net';
import { releaseRegions } from '../../transfer/shared-file.js';
import type { FileRegion, TransferStrategy } from '../../transfer/types.js';
import { FrameDecoder, FrameError, MIN_REQUEST_FRAME_BYTES } from '../../protocol/kafka/frame-decoder.js';
import type { NetworkLimits } from './limits.js';
import type { QueueBudget } from './queue-budget.js';
import { Session } from './session.js';

export interface KafkaRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** The whole request: header and body, without the size prefix. */
  frame: Buffer;
  connectionId: number;
  remoteAddress: string;
  /** remoteAddress without its port, for ACL host rules. */
  clientHost: string;
  /** The connection's listener, principal and login state. */
  session: Session;
}

/** Bytes built in memory, then log bytes the transfer strategy sends from their files. */
export interface ResponsePart {
  bytes: Buffer;
  regions: readonly FileRegion[];
}

/**
 * A response without its size prefix: its parts back to back. A fetch of
 * many partitions alternates encoded fields and each partition's records.
 */
export interface KafkaResponse {
  parts: readonly ResponsePart[];
  /** Close the connection once this response has gone (a failed login), saying why. */
  closeAfter?: string;
}

/** A response's size on the wire (with its size prefix), and how much of it is in memory. */
function sizeOf(response: KafkaResponse): { bytes: number; memory: number } {
  let memory = 4;
  let regions = 0;
  for (const p of response.parts) {
    memory += p.bytes.length;
    for (const r of p.regions) regions += r.length;
  }
  return { bytes: memory + regions, memory };
}

/** Gives back the file leases of a response that will not be sent. */
export function releaseResponse(response: KafkaResponse | null): void {
  if (response !== null) for (const p of response.parts) releaseRegions(p.regions);
}

/** A response made of bytes only. */
export function bytesResponse(bytes: Buffer): KafkaResponse {
  return { parts: [{ bytes, regions: [] }] };
}

/** Returns the response, or null when none is due (produce with acks=0). */
export type RequestHandler = (request: KafkaRequest) => Promise<KafkaResponse | null> | KafkaResponse | null;

export type NetLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** How responses reach the socket: a transfer strategy (plain TCP), or the stream (TLS). */
export type ResponseSender = Pick<TransferStrategy, 'send'>;

interface Slot {
  done: boolean;
  response: KafkaResponse | null;
  error: unknown;
  /** Request bytes held (the request budget). */
  bytes: number;
  /** Response bytes counted as unsent while the slot waits its turn. */
  unsent: number;
  unsentMemory: number;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  // Frames read but not yet started, held while maxInFlightRequests run (one
  // socket read can carry many frames; pausing the socket cannot undo that).
  // A FrameError ends it: the stream broke there, after the frames before it.
  private readonly backlog: (Buffer | FrameError)[] = [];
  /** The byte stream broke (a bad frame size): nothing after it is read. */
  private framingFailed = false;
  private closed = false;
  private pausedForRoom = false;
  private flushScheduled = false;
  /** A bad request was seen: the answers before it go out, then the connection closes. */
  private draining = false;
  /** Response bytes answered but not yet handed to the kernel: waiting in order, or queued behind a slow reader. */
  private unsent = 0;
  /** The peer, read once: every request carries it, and a destroyed socket no longer knows it. */
  readonly remoteAddress: string;
  private readonly clientHost: string;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly transfer: ResponseSender,
    private readonly limits: NetworkLimits,
    private readonly budget: QueueBudget,
    /** In-memory response bytes not yet sent, across all connections. */
    private readonly responseBudget: QueueBudget,
    private readonly log: NetLog,
    readonly session: Session = new Session({ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '', port: 0, saslMechanisms: [], reauthMs: 0 }),
  ) {
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    this.clientHost = socket.remoteAddress ?? '';
    this.remoteAddress = `${this.clientHost}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => this.close(`idle for ${limits.idleTimeoutMs} ms`));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Response bytes of this connection not yet sent (in memory and in file regions). */
  get unsentBytes(): number {
    return this.unsent;
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.log('warn', `closing connection ${this.id} from ${this.remoteAddress}: ${reason}`);
    for (const s of this.slots.splice(0)) {
      if (!s.done) this.budget.give(s.bytes);
      this.sent(s.unsent, s.unsentMemory);
      releaseResponse(s.response);
    }
    this.giveBacklog();
    this.socket.destroy();
  }

  /** Reads nothing more and starts nothing more; closes once the sends queued so far have gone (or failed). */
  private closeAfterSends(reason: string): void {
    this.draining = true;
    this.socket.pause();
    this.giveBacklog();
    const close = (): void => this.close(reason);
    this.transfer.send(this.socket, null, []).then(close, close);
  }

  private giveBacklog(): void {
    for (const f of this.backlog.splice(0)) if (f instanceof Buffer) this.budget.give(f.length);
  }

  private onData(chunk: Buffer): void {
    if (this.draining || this.framingFailed) return;
    let frames: Buffer[];
    let failure: FrameError | null = null;
    // After a v0 SaslHandshake the next frame is a bare token, which may be shorter than a request header.
    this.decoder.minFrameBytes = this.session.expectsRawToken ? 0 : MIN_REQUEST_FRAME_BYTES;
    // Before a login, a frame may be no larger than a login needs.
    this.decoder.maxFrameBytes = this.session.authenticated ? this.limits.maxFrameBytes : Math.min(this.limits.maxFrameBytes, this.limits.maxUnauthenticatedFrameBytes);
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      failure = err;
      frames = err.frames;
    }
    for (const frame of frames) {
      this.budget.take(frame.length);
      this.backlog.push(frame);
    }
    if (failure) {
      // Like a bad request: the frames before it are answered, then the connection closes.
      this.framingFailed = true;
      this.backlog.push(failure);
    }
    this.pump();
    this.applyBackpressure();
  }

  private pump(): void {
    if (this.draining) return;
    // Slots count until their response is handed to the transfer, so
    // responses waiting behind a slow head-of-line request are bounded too;
    // responses handed over but unsent (a slow reader) count in bytes.
    while (this.backlog.length > 0 && this.slots.length < this.limits.maxInFlightRequests && !this.tooMuchUnsent()) {
      this.dispatch(this.backlog.shift()!);
    }
  }

  private tooMuchUnsent(): boolean {
    return this.unsent >= this.limits.maxUnsentBytesPerConnection || this.responseBudget.exhausted;
  }

  /** Bytes that have left (or never will): the limits make room. */
  private sent(bytes: number, memory: number): void {
    if (bytes === 0) return;
    this.unsent -= bytes;
    this.responseBudget.give(memory);
  }

  private dispatch(frame: Buffer | FrameError): void {
    if (frame instanceof FrameError) {
      this.slots.push({ done: true, response: null, error: frame, bytes: 0, unsent: 0, unsentMemory: 0 });
      this.scheduleFlush();
      return;
    }
    const header = frame.length >= MIN_REQUEST_FRAME_BYTES;
    const request: KafkaRequest = {
      apiKey: header ? frame.readInt16BE(0) : -1,
      apiVersion: header ? frame.readInt16BE(2) : -1,
      correlationId: header ? frame.readInt32BE(4) : -1,
      frame,
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      clientHost: this.clientHost,
      session: this.session,
    };
    const slot: Slot = { done: false, response: null, error: undefined, bytes: frame.length, unsent: 0, unsentMemory: 0 };
    this.slots.push(slot);
    const finish = (): void => {
      if (this.closed) {
        releaseResponse(slot.response);
        return;
      }
      slot.done = true;
      this.budget.give(slot.bytes);
      this.scheduleFlush();
      this.pump();
      this.applyBackpressure();
    };
    const answered = (response: KafkaResponse | null): void => {
      slot.response = response;
      if (response !== null && !this.closed) {
        const size = sizeOf(response);
        slot.unsent = size.bytes;
        slot.unsentMemory = size.memory;
        this.unsent += size.bytes;
        this.responseBudget.take(size.memory);
      }
      finish();
    };
    const failed = (err: unknown): void => {
      slot.error = err ?? new Error('request failed');
      finish();
    };
    // Called at once, not from a microtask: the handler starts while the
    // frame is still in cache, and finish() runs after pump() returns either
    // way (a settled promise's callbacks wait for the stack to unwind).
    let answer: ReturnType<RequestHandler>;
    try {
      answer = this.handler(request);
    } catch (err) {
      queueMicrotask(() => failed(err));
      return;
    }
    Promise.resolve(answer).then(answered, failed);
  }

  /**
   * Flushes once the requests finishing in this turn of the event loop have
   * all finished, so their responses leave in one system call: a pipelining
   * producer's responses otherwise cost a loopback write each (about 30 µs
   * here, more than the append they acknowledge).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
      // Sent slots make room for requests held back by maxInFlightRequests.
      this.pump();
      this.applyBackpressure();
    });
  }

  /** Sends the responses at the head of the line that are ready, in order. */
  private flush(): void {
    if (this.closed || this.draining) return;
    const ready: Slot[] = [];
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const s = this.slots.shift()!;
      if (s.error !== undefined) {
        this.sendAll(ready);
        releaseResponse(s.response);
        // A request we cannot answer (malformed, say): Kafka closes the
        // connection, once the answers to the requests before it have gone.
        this.closeAfterSends(s.error instanceof FrameError ? s.error.message : `bad request: ${(s.error as Error).message ?? s.error}`);
        return;
      }
      if (s.response !== null) ready.push(s);
      if (s.response?.closeAfter) {
        this.sendAll(ready);
        this.closeAfterSends(s.response.closeAfter);
        return;
      }
    }
    this.sendAll(ready);
  }

  /**
   * Sends responses back to back: each with its size prefix, bytes in
   * memory joined up to the next file regions, so a run of small responses
   * is one send and a fetch's regions follow the bytes before them.
   */
  private sendAll(ready: readonly Slot[]): void {
    if (ready.length === 0) return;
    const sends: { bytes: Buffer[]; regions: readonly FileRegion[] }[] = [{ bytes: [], regions: [] }];
    let unsent = 0;
    let unsentMemory = 0;
    for (const slot of ready) {
      const r = slot.response!;
      unsent += slot.unsent;
      unsentMemory += slot.unsentMemory;
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(slot.unsent - 4, 0);
      sends.at(-1)!.bytes.push(prefix);
      for (const p of r.parts) {
        sends.at(-1)!.bytes.push(p.bytes);
        if (p.regions.length > 0) {
          sends.at(-1)!.regions = p.regions;
          sends.push({ bytes: [], regions: [] });
        }
      }
    }
    // The transfer's per-socket queue keeps sends in call order. A send's
    // regions keep their files open until it has gone or failed; the bytes
    // count as unsent until the last send has.
    const fail = (err: Error): void => this.close(`send failed: ${err.message}`);
    let last = sends.length - 1;
    while (sends[last]!.bytes.length === 0 && sends[last]!.regions.length === 0) last--;
    for (let i = 0; i <= last; i++) {
      const s = sends[i]!;
      if (s.bytes.length === 0 && s.regions.length === 0) continue;
      const head = s.bytes.length === 1 ? s.bytes[0]! : Buffer.concat(s.bytes);
      const regions = s.regions;
      const settled = (): void => {
        if (regions.length > 0) releaseRegions(regions);
        if (i !== last) return;
        this.sent(unsent, unsentMemory);
        this.pump();
        this.applyBackpressure();
      };
      this.transfer.send(this.socket, head, regions).then(settled, (err: Error) => {
        settled();
        fail(err);
      });
    }
  }

  private applyBackpressure(): void {
    if (this.closed || this.draining) return;
    const busy = this.framingFailed || this.backlog.length > 0 || this.slots.length >= this.limits.maxInFlightRequests || this.unsent >= this.limits.maxUnsentBytesPerConnection;
    const shared = this.budget.exhausted ? this.budget : this.responseBudget.exhausted ? this.responseBudget : null;
    if (busy || shared) {
      this.socket.pause();
      if (shared && !this.pausedForRoom) {
        this.pausedForRoom = true;
        shared.waitForRoom(() => {
          this.pausedForRoom = false;
          this.pump();
          this.applyBackpressure();
        });
      }
    } else {
      this.socket.resume();
    }
  }
}
