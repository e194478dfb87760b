// A plain-text HTTP/2 client connection for the load tools' gRPC calls:
// each exchange is a request (one header block, one body) and its answer
// (header blocks and DATA), on a stream of its own. node:http2's client
// spent about 70 µs of CPU a call in the protocols scenario, five times
// what the broker spent answering, so with both on two cores the client,
// not the broker, set the pace, and the broker answered requests one by
// one where the Kafka load tool (its own framing on a net.Socket) had them
// come in runs. This one frames what it sends itself, writes what a turn
// of the event loop sends as one writev, and keeps to the peer's settings:
// its stream and connection windows, its largest frame, its concurrent
// stream limit (calls past it wait their turn). It reads into one buffer of
// its own, reused (Node would allocate one per read), and copies only the
// DATA it keeps into slabs (byte-slab.ts).
import { connect, type Socket } from 'node:net';
import { ByteSlab } from './byte-slab.js';
import { FrameReader } from '../../protocol/http2/frame-reader.js';
import { windowOwed, type ReceiveWindow } from '../../protocol/http2/receive-window.js';
import { ConnectionError, FLAG, FRAME, frameHeader, goAwayFrame, H2_ERROR, headerFrames, PREFACE, rstStreamFrame, SETTING, settingsFrame, smallFrame, unpadded, windowUpdateFrame } from '../../protocol/http2/frames.js';
import { HeaderBlocks, type HeaderBlock } from '../../protocol/http2/header-blocks.js';
import { HpackDecoder, HpackError } from '../../protocol/http2/hpack.js';
import { HpackEncoder, type HeaderSet } from '../../protocol/http2/hpack-encoder.js';

/** What this side lets the peer send: per stream (a 32-message receive of large bodies fits) and on the connection. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 32 * 1024 * 1024;
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
/** The header list an answer may carry (HPACK's accounting). */
const MAX_HEADER_LIST_BYTES = 1024 * 1024;
/** Bytes one read of the socket takes at most. */
const READ_BYTES = 256 * 1024;

export interface Answer {
  /** The response's header fields and its trailers', in order. */
  fields: Array<[string, string]>;
  data: Buffer[];
  /** The peer reset the stream (RST_STREAM's code), or null. */
  reset: number | null;
}

/** One request and its answer; what the server may still send on its stream kept as receive-window.ts keeps it. */
interface Exchange extends ReceiveWindow {
  id: number;
  resolve(a: Answer): void;
  reject(err: Error): void;
  fields: Array<[string, string]>;
  /** The answer's DATA, kept (copied out of the reads) where no onData takes it as it comes. */
  data: Buffer[];
  onData: ((payload: Buffer) => void) | null;
  /** What onData threw: the exchange fails with it when its answer ends. */
  dataError: Error | null;
  /** Request body not yet sent (waiting for window), null once all is out. */
  unsent: Buffer | null;
  sendWindow: number;
  deadline: number;
  /** What cancel() knows the call by (null: none). */
  tag: object | null;
}

/** A call ended by cancel() before its answer came. */
export class CancelledCall extends Error {
  constructor() {
    super('the call was cancelled');
  }
}

export class H2ClientConnection {
  private readonly reader: FrameReader;
  private readonly decoder = new HpackDecoder(4096, MAX_HEADER_LIST_BYTES);
  /** Encodes each request's headers as it goes out (HEADERS frames leave in the order their blocks were encoded). */
  private readonly encoder = new HpackEncoder();
  private readonly open = new Map<number, Exchange>();
  /** Exchanges whose request waits: for a stream (past the peer's limit), or for window. */
  private readonly waiting: Array<{ headers: HeaderSet; ex: Exchange }> = [];
  private readonly blocked: Exchange[] = [];
  private nextId = 1;
  private sendWindow = DEFAULT_WINDOW;
  private peerStreamWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private readonly recv: ReceiveWindow = { recvWindow: CONNECTION_WINDOW, recvUnacked: 0 };
  /** A response's header block as it arrives, HEADERS and CONTINUATION joined (the server's reader of them: padding, priority, flood limits). */
  private readonly headerBlocks = new HeaderBlocks(MAX_HEADER_LIST_BYTES);
  private out: Buffer[] = [];
  private failure: Error | null = null;
  private closing = false;
  /** GOAWAY sent and the socket ended: nothing more is written. */
  private ended = false;
  private readonly sweep: NodeJS.Timeout;

  /** Where the DATA of answers is kept: the reads it comes in are overwritten by the next. */
  private readonly slab = new ByteSlab();

  private constructor(private readonly socket: Socket, private readonly settled: (err: Error | null) => void) {
    this.reader = new FrameReader((type, flags, id, payload) => this.frame(type, flags, id, payload), () => this.failure !== null, { preface: false });
    socket.setNoDelay(true);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the connection closed')));
    // Calls the peer never answers end a few seconds past their deadline (the peer ends them at it).
    this.sweep = setInterval(() => this.expire(Date.now()), 1000).unref();
  }

  /** Connected, and the peer's first SETTINGS read. */
  static connect(host: string, port: number): Promise<H2ClientConnection> {
    return new Promise((resolve, reject) => {
      let c: H2ClientConnection | undefined;
      const into = Buffer.allocUnsafe(READ_BYTES);
      const onread = {
        buffer: into,
        callback: (n: number): boolean => {
          c?.read(into.subarray(0, n));
          return true;
        },
      };
      const socket = connect({ port, host, onread });
      c = new H2ClientConnection(socket, (err) => (err ? reject(err) : resolve(c!)));
      socket.once('connect', () => {
        c.push(PREFACE);
        c.push(settingsFrame([[SETTING.ENABLE_PUSH, 0], [SETTING.INITIAL_WINDOW_SIZE, STREAM_WINDOW]]));
        c.push(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
      });
    });
  }

  /**
   * One request: its header fields and body (sent with END_STREAM); resolves
   * with the whole answer, or rejects if the connection fails first or no
   * answer has come by `deadline` (Date.now() ms: the stream is then reset).
   * With `onData`, the answer's DATA goes to it as it comes, each piece valid
   * only during the call (a view of a read this connection reuses), and
   * the answer's `data` stays empty.
   */
  exchange(headers: HeaderSet, body: Buffer, deadline: number, onData: ((payload: Buffer) => void) | null = null, tag: object | null = null): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closing) return reject(new Error('the connection is closing'));
      const ex: Exchange = { id: 0, resolve, reject, fields: [], data: [], onData, dataError: null, unsent: body, sendWindow: 0, recvWindow: STREAM_WINDOW, recvUnacked: 0, deadline, tag };
      if (this.open.size >= this.peerMaxStreams) this.waiting.push({ headers, ex });
      else this.start(headers, ex);
    });
  }

  /** One read, valid only until this returns: what is kept of it is copied (DATA into the slab; the frame reader and header blocks copy split frames and fragments). */
  private read(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(err as Error, err instanceof ConnectionError ? err.code : err instanceof HpackError ? H2_ERROR.COMPRESSION_ERROR : H2_ERROR.PROTOCOL_ERROR);
    }
  }

  /** Ends the connection once the calls in flight are answered. */
  close(): void {
    this.closing = true;
    if (this.open.size === 0 && this.waiting.length === 0) this.end();
  }

  private end(): void {
    if (this.ended) return;
    clearInterval(this.sweep);
    if (this.failure) return;
    this.push(goAwayFrame(0, H2_ERROR.NO_ERROR, ''));
    this.flush();
    this.ended = true;
    this.socket.end();
  }

  private start(headers: HeaderSet, ex: Exchange): void {
    ex.id = this.nextId;
    this.nextId += 2;
    ex.sendWindow = this.peerStreamWindow;
    this.open.set(ex.id, ex);
    for (const f of headerFrames(ex.id, this.encoder.encode(headers), false, this.peerMaxFrame)) this.push(f);
    this.sendBody(ex);
  }

  /** As much of the request body as the windows allow, the last frame with END_STREAM. */
  private sendBody(ex: Exchange): void {
    let body = ex.unsent!;
    for (;;) {
      const n = Math.min(body.length, this.peerMaxFrame, this.sendWindow, ex.sendWindow);
      if (n < body.length && n <= 0) break;
      const last = n === body.length;
      this.push(frameHeader(n, FRAME.DATA, last ? FLAG.END_STREAM : 0, ex.id));
      if (n > 0) this.push(body.subarray(0, n));
      this.sendWindow -= n;
      ex.sendWindow -= n;
      body = body.subarray(n);
      if (last) {
        ex.unsent = null;
        return;
      }
    }
    ex.unsent = body;
    this.blocked.push(ex);
  }

  private unblock(): void {
    const blocked = this.blocked.splice(0);
    for (const ex of blocked) if (this.open.get(ex.id) === ex && ex.unsent !== null) this.sendBody(ex);
  }

  private push(b: Buffer): void {
    // Ended: a PING or WINDOW_UPDATE still arriving is not answered (a write after end() would fail the socket).
    if (this.ended) return;
    if (this.out.length === 0) process.nextTick(() => this.flush());
    this.out.push(b);
  }

  private flush(): void {
    if (this.out.length === 0 || this.failure || this.ended) return;
    const out = this.out;
    this.out = [];
    this.socket.cork();
    for (const b of out) this.socket.write(b);
    this.socket.uncork();
  }

  private frame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.headerBlocks.pending && type !== FRAME.CONTINUATION) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'a frame between HEADERS and its CONTINUATION');
    switch (type) {
      case FRAME.DATA:
        return this.data(flags, id, payload);
      case FRAME.HEADERS:
        return this.headerDone(this.headerBlocks.headers(flags, id, payload));
      case FRAME.CONTINUATION:
        return this.headerDone(this.headerBlocks.continuation(flags, id, payload));
      case FRAME.RST_STREAM:
        return this.finish(id, payload.readUInt32BE(0));
      case FRAME.SETTINGS:
        if ((flags & FLAG.ACK) === 0) this.settings(payload);
        return;
      case FRAME.PING:
        if ((flags & FLAG.ACK) === 0) this.push(smallFrame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY: {
        const last = payload.readUInt32BE(0) & 0x7fffffff;
        this.closing = true;
        const err = new Error(`the server went away (GOAWAY code ${payload.readUInt32BE(4)})`);
        for (const ex of [...this.open.values()]) if (ex.id > last) this.drop(ex, err);
        for (const w of this.waiting.splice(0)) w.ex.reject(err);
        return this.endIfDone();
      }
      case FRAME.WINDOW_UPDATE: {
        const increment = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) this.sendWindow += increment;
        else {
          const ex = this.open.get(id);
          if (ex) ex.sendWindow += increment;
        }
        return this.unblock();
      }
      default:
        return; // PRIORITY, PUSH_PROMISE (refused by ENABLE_PUSH 0), unknown types
    }
  }

  private settings(payload: Buffer): void {
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === SETTING.INITIAL_WINDOW_SIZE) {
        const delta = value - this.peerStreamWindow;
        this.peerStreamWindow = value;
        for (const ex of this.open.values()) ex.sendWindow += delta;
      } else if (id === SETTING.MAX_FRAME_SIZE) this.peerMaxFrame = value;
      else if (id === SETTING.HEADER_TABLE_SIZE) this.encoder.setMaxSize(value);
      else if (id === SETTING.MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
    }
    this.push(smallFrame(FRAME.SETTINGS, FLAG.ACK, 0));
    this.settled(null);
    this.unblock();
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.open.size < this.peerMaxStreams && !this.ended && this.failure === null) {
      const w = this.waiting.shift()!;
      this.start(w.headers, w.ex);
    }
  }

  private headerDone(h: HeaderBlock | null): void {
    if (h === null) return;
    // Decoded whatever the stream: the table must stay in step with the peer's.
    const { headers, oversized } = this.decoder.decode(h.block);
    const ex = this.open.get(h.streamId);
    if (!ex) return;
    if (oversized) {
      // What was decoded is only the list's start (the status may be past it): no answer, rather than a wrong one.
      this.push(rstStreamFrame(h.streamId, H2_ERROR.CANCEL));
      this.drop(ex, new Error(`the answer's header list on stream ${h.streamId} is larger than ${MAX_HEADER_LIST_BYTES} bytes`));
      this.startWaiting();
      this.endIfDone();
      return;
    }
    for (const f of headers) ex.fields.push(f);
    if ((h.flags & FLAG.END_STREAM) !== 0) this.finish(h.streamId, null);
  }

  private data(flags: number, id: number, payload: Buffer): void {
    const connectionOwed = windowOwed(this.recv, payload.length, CONNECTION_WINDOW);
    if (connectionOwed > 0) this.push(windowUpdateFrame(0, connectionOwed));
    const ex = this.open.get(id);
    if (!ex) return;
    const body = (flags & FLAG.PADDED) !== 0 ? unpadded(payload, 'DATA') : payload;
    if (body.length > 0 && ex.dataError === null) {
      if (ex.onData === null) ex.data.push(this.slab.copy(body));
      else {
        try {
          ex.onData(body);
        } catch (err) {
          ex.dataError = err as Error;
        }
      }
    }
    if ((flags & FLAG.END_STREAM) !== 0) return this.finish(id, null);
    const owed = windowOwed(ex, payload.length, STREAM_WINDOW);
    if (owed > 0) this.push(windowUpdateFrame(id, owed));
  }

  private finish(id: number, reset: number | null): void {
    const ex = this.open.get(id);
    if (!ex) return;
    this.open.delete(id);
    // The request may still be going out (the server answered early): it stops here.
    if (ex.unsent !== null && reset === null) this.push(rstStreamFrame(id, H2_ERROR.NO_ERROR));
    if (ex.dataError !== null) ex.reject(ex.dataError);
    else ex.resolve({ fields: ex.fields, data: ex.data, reset });
    this.startWaiting();
    this.endIfDone();
  }

  private drop(ex: Exchange, err: Error): void {
    this.open.delete(ex.id);
    ex.reject(err);
  }

  /** Resets the calls made with `tag` that are in flight or waiting for a stream: each rejects with CancelledCall. */
  cancel(tag: object): void {
    for (const ex of [...this.open.values()]) {
      if (ex.tag !== tag) continue;
      this.push(rstStreamFrame(ex.id, H2_ERROR.CANCEL));
      this.drop(ex, new CancelledCall());
    }
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.ex.tag !== tag) continue;
      this.waiting.splice(i, 1)[0]!.ex.reject(new CancelledCall());
    }
    this.startWaiting();
    this.endIfDone();
  }

  private expire(now: number): void {
    for (const ex of [...this.open.values()]) {
      if (now < ex.deadline) continue;
      this.push(rstStreamFrame(ex.id, H2_ERROR.CANCEL));
      this.drop(ex, new Error(`no answer on stream ${ex.id} by its deadline`));
    }
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i]!;
      if (now < w.ex.deadline) continue;
      this.waiting.splice(i, 1);
      w.ex.reject(new Error('no stream came free for the call by its deadline'));
    }
    // The peer may count a reset stream against its limit until its handler is done: those waiting try again.
    this.startWaiting();
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.closing && this.open.size === 0 && this.waiting.length === 0) this.end();
  }

  private fail(err: Error, code?: number): void {
    if (this.failure) return;
    this.failure = err;
    clearInterval(this.sweep);
    this.settled(err);
    if (code !== undefined) this.socket.end(goAwayFrame(0, code, err.message.slice(0, 100)));
    else this.socket.destroy();
    for (const ex of this.open.values()) ex.reject(err);
    this.open.clear();
    for (const w of this.waiting.splice(0)) w.ex.reject(err);
  }
}
