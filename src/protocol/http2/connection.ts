// The server side of one HTTP/2 connection (RFC 9113) on a socket: the
// client's preface and SETTINGS, its streams (HEADERS, CONTINUATION, DATA,
// RST_STREAM), PING, WINDOW_UPDATE and GOAWAY, flow control both ways.
// Frames come from frame-reader.ts, header blocks from header-blocks.ts, the
// client's SETTINGS are read by peer-settings.ts; all answered in one turn
// of the event loop leaves in one write (socket-output.ts).
// A connection's protocol error answers GOAWAY and closes it; a stream's, RST_STREAM.
import type { Socket } from 'node:net';
import { HpackDecoder, HpackError } from './hpack.js';
import { H2Stream } from './stream.js';
import { FrameReader } from './frame-reader.js';
import { HeaderBlocks, type HeaderBlock } from './header-blocks.js';
import { SocketOutput } from './socket-output.js';
import { malformedRequest } from './request-headers.js';
import { readPeerSettings } from './peer-settings.js';
import { takeWindow, windowOwed, type ReceiveWindow } from './receive-window.js';
import {
  ConnectionError, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, FLAG, FRAME, frameHeader, goAwayFrame, headerFrames, unpadded, H2_ERROR, MAX_WINDOW,
  rstStreamFrame, SETTING, settingsFrame, smallFrame, StreamError, windowUpdateFrame,
} from './frames.js';

export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: a HEADERS past it is refused (RST_STREAM REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on a stream before the server gives it more. */
  streamWindow: number;
  /** The connection's receive window. */
  connectionWindow: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE; a larger header list is flagged to the stream's handler. */
  maxHeaderListBytes: number;
  /** Answers queued behind the client's flow-control windows, all streams together: past it the client is not reading, and the connection is closed (ENHANCE_YOUR_CALM). */
  maxQueuedBytes: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame payload the client may send (HTTP/2's 16 KiB when absent). */
  maxFrame?: number;
  /** Where a frame split between reads is joined (FrameReaderOptions.lend). */
  lendFrame?: (bytes: number) => Buffer;
}

/** A new stream: its header fields, and whether they passed maxHeaderListBytes (then incomplete). */
export type StreamOpened = (stream: H2Stream, headers: Array<[string, string]>, oversized: boolean) => void;

const TABLE_SIZE_ZERO = Buffer.from([0x20]);


export class H2Connection {
  private readonly streams = new Map<number, H2Stream>();
  private readonly decoder: HpackDecoder;
  private readonly readyStreams = new Set<H2Stream>();
  /** Streams with data that wait for the connection's window. */
  private readonly blocked = new Set<H2Stream>();
  private readonly output: SocketOutput;

  private settingsSeen = false;
  private readonly reader: FrameReader;
  private lastStreamId = 0;
  /** A HEADERS without END_HEADERS: CONTINUATION frames of this stream must follow. */
  private readonly headerBlocks: HeaderBlocks;
  /** Bytes of all streams waiting for the client's windows. */
  private queuedBytes = 0;
  /** Streams closed whose handler still runs (H2Stream.hold): they count against the concurrent-stream limit until released. */
  heldClosed = 0;

  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private sendWindow = DEFAULT_WINDOW;
  /** What the client may still send on the connection. */
  private readonly recv: ReceiveWindow;
  /** The client announced SETTINGS_HEADER_TABLE_SIZE: the next header block sent starts with a table size update (to 0, valid under any size; the server never indexes). */
  private tableSizeUpdateOwed = false;
  private goingAway = false;
  private dead = false;

  constructor(readonly socket: Socket, private readonly limits: H2Limits, private readonly opened: StreamOpened, private readonly onError: (message: string, bug?: boolean) => void = () => undefined) {
    this.decoder = new HpackDecoder(4096, limits.maxHeaderListBytes);
    this.headerBlocks = new HeaderBlocks(limits.maxHeaderListBytes);
    this.output = new SocketOutput(socket, () => this.fillData(), () => this.dead);
    this.recv = { recvWindow: limits.connectionWindow, recvUnacked: 0 };
    const maxFrame = limits.maxFrame ?? DEFAULT_MAX_FRAME;
    this.reader = new FrameReader((type, flags, streamId, payload) => this.oneFrame(type, flags, streamId, payload), () => this.dead, { maxFrame, lend: limits.lendFrame });
    this.enqueue(settingsFrame([
      [SETTING.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
      [SETTING.INITIAL_WINDOW_SIZE, limits.streamWindow],
      [SETTING.MAX_HEADER_LIST_SIZE, limits.maxHeaderListBytes],
      [SETTING.ENABLE_PUSH, 0],
      ...(maxFrame > DEFAULT_MAX_FRAME ? [[SETTING.MAX_FRAME_SIZE, maxFrame] as [number, number]] : []),
    ]));
    if (limits.connectionWindow > DEFAULT_WINDOW) this.enqueue(windowUpdateFrame(0, limits.connectionWindow - DEFAULT_WINDOW));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.closeAll());
    socket.on('error', () => undefined); // 'close' follows
  }

  /** The streams open now (what the gRPC server's deadline sweep walks). */
  openStreams(): IterableIterator<H2Stream> {
    return this.streams.values();
  }

  openStreamCount(): number {
    return this.streams.size;
  }

  /** GOAWAY: no new stream is taken; the connection closes once the open ones end. */
  shutdown(): void {
    if (this.goingAway || this.dead) return;
    this.goingAway = true;
    this.enqueue(goAwayFrame(this.lastStreamId, H2_ERROR.NO_ERROR, 'server shutting down'));
    if (this.streams.size === 0) this.endSocket();
  }

  sendHeaders(streamId: number, headerBlock: Buffer, endStream: boolean): void {
    let block = headerBlock;
    if (this.tableSizeUpdateOwed) {
      this.tableSizeUpdateOwed = false;
      block = Buffer.concat([TABLE_SIZE_ZERO, block]);
    }
    for (const f of headerFrames(streamId, block, endStream, this.peerMaxFrame)) this.enqueue(f);
  }

  /** Bytes a stream took to send: counted against maxQueuedBytes until they leave. */
  queue(bytes: number): void {
    this.queuedBytes += bytes;
    if (this.queuedBytes > this.limits.maxQueuedBytes) this.fail(new ConnectionError(H2_ERROR.ENHANCE_YOUR_CALM, `${this.queuedBytes} bytes of answers wait for a client that does not open its windows (at most ${this.limits.maxQueuedBytes})`));
  }

  /** The stream has something to send: it goes out with the next flush, as far as the windows allow. */
  ready(stream: H2Stream): void {
    this.readyStreams.add(stream);
    this.output.schedule();
  }

  resetStream(stream: H2Stream, code: number): void {
    this.enqueue(rstStreamFrame(stream.id, code));
    this.closeStream(stream, code);
  }

  private enqueue(frame: Buffer): void {
    if (!this.dead) this.output.push(frame);
  }

  /** At each flush: the ready streams' DATA, as far as the windows allow. */
  private fillData(): void {
    for (const s of this.readyStreams) {
      this.readyStreams.delete(s);
      this.sendFrom(s);
    }
  }

  /** DATA frames of the stream as far as both windows allow; then its trailers, and the stream is done. */
  private sendFrom(s: H2Stream): void {
    if (s.closed) return;
    while (s.pendingBytes > 0) {
      const n = Math.min(s.pendingBytes, s.sendWindow, this.sendWindow, this.peerMaxFrame);
      if (n <= 0) {
        if (this.sendWindow <= 0) this.blocked.add(s);
        return;
      }
      this.output.push(frameHeader(n, FRAME.DATA, 0, s.id));
      let left = n;
      while (left > 0) {
        const head = s.pending[0]!;
        if (head.length <= left) {
          this.output.push(head);
          s.pending.shift();
          left -= head.length;
        } else {
          this.output.push(head.subarray(0, left));
          s.pending[0] = head.subarray(left);
          left = 0;
        }
      }
      s.pendingBytes -= n;
      this.queuedBytes -= n;
      s.sendWindow -= n;
      this.sendWindow -= n;
    }
    if (s.trailers === null) return;
    this.sendHeaders(s.id, s.trailers, true);
    s.trailers = null;
    this.output.whenWritten(() => s.events?.streamSent());
    // RFC 9113 §8.1: the answer is complete; a client still sending is told to stop, without error.
    if (!s.remoteEnded) this.enqueue(rstStreamFrame(s.id, H2_ERROR.NO_ERROR));
    this.closeStream(s, null);
  }

  private closeStream(s: H2Stream, reset: number | null): void {
    if (s.closed) return;
    s.closed = true;
    s.pending.length = 0;
    this.queuedBytes -= s.pendingBytes;
    s.pendingBytes = 0;
    if (s.held) this.heldClosed++;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    this.readyStreams.delete(s);
    s.events?.streamClosed(reset);
    if (this.goingAway && this.streams.size === 0) this.endSocket();
  }

  private closeAll(): void {
    this.dead = true;
    for (const s of [...this.streams.values()]) this.closeStream(s, H2_ERROR.CANCEL);
  }

  private endSocket(): void {
    this.output.flush();
    this.dead = true;
    this.socket.end(() => this.socket.destroy());
  }

  private fail(err: ConnectionError): void {
    if (this.dead) return;
    this.onError(err.message);
    this.enqueue(goAwayFrame(this.lastStreamId, err.code, err.message));
    this.goingAway = true;
    for (const s of [...this.streams.values()]) this.closeStream(s, H2_ERROR.CANCEL);
    this.endSocket();
  }

  private receive(chunk: Buffer): void {
    if (this.dead) return;
    try {
      if (!this.reader.push(chunk)) {
        // Not HTTP/2 (an HTTP/1.1 request, TLS to a plaintext port): nothing to say in its language.
        this.dead = true;
        this.socket.destroy();
      }
    } catch (err) {
      if (err instanceof ConnectionError) this.fail(err);
      else if (err instanceof HpackError) this.fail(new ConnectionError(H2_ERROR.COMPRESSION_ERROR, `header block: ${err.message}`));
      else {
        // A bug, not the client's doing: said loudly, and only this connection pays for it.
        this.onError(`internal error: ${(err as Error).stack ?? String(err)}`, true);
        this.fail(new ConnectionError(H2_ERROR.INTERNAL_ERROR, 'internal error'));
      }
    }
  }

  /** One whole frame; a stream's error resets that stream only. */
  private oneFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    try {
      this.frame(type, flags, streamId, payload);
    } catch (err) {
      if (!(err instanceof StreamError)) throw err;
      const s = this.streams.get(err.streamId);
      this.enqueue(rstStreamFrame(err.streamId, err.code));
      if (s) this.closeStream(s, err.code);
    }
  }

  private frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (!this.settingsSeen) {
      if (type !== FRAME.SETTINGS || (flags & FLAG.ACK) !== 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'the preface must be followed by SETTINGS');
      this.settingsSeen = true;
    }
    if (this.headerBlocks.pending && type !== FRAME.CONTINUATION) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'a header block must be followed by its CONTINUATION frames');
    switch (type) {
      case FRAME.DATA:
        return this.data(flags, streamId, payload);
      case FRAME.HEADERS:
        return this.headerBlockDone(this.headerBlocks.headers(flags, streamId, payload));
      case FRAME.CONTINUATION:
        return this.headerBlockDone(this.headerBlocks.continuation(flags, streamId, payload));
      case FRAME.PRIORITY:
        if (streamId === 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) throw new StreamError(streamId, H2_ERROR.FRAME_SIZE_ERROR, 'PRIORITY is 5 bytes');
        return;
      case FRAME.RST_STREAM:
        return this.rstStream(streamId, payload);
      case FRAME.SETTINGS:
        return this.settings(flags, streamId, payload);
      case FRAME.PUSH_PROMISE:
        throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'a client cannot push');
      case FRAME.PING:
        if (streamId !== 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'PING is 8 bytes');
        if ((flags & FLAG.ACK) === 0) this.enqueue(smallFrame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY:
        if (streamId !== 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (payload.length < 8) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'GOAWAY is at least 8 bytes');
        this.goingAway = true;
        if (this.streams.size === 0) this.endSocket();
        return;
      case FRAME.WINDOW_UPDATE:
        return this.windowUpdate(streamId, payload);
      default:
        return; // RFC 9113 §4.1: unknown frame types are ignored
    }
  }

  private data(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'DATA on stream 0');
    // The whole frame counts against the windows, padding included, whatever becomes of the stream.
    if (!takeWindow(this.recv, payload.length)) throw new ConnectionError(H2_ERROR.FLOW_CONTROL_ERROR, 'DATA past the connection window');
    const connectionOwed = windowOwed(this.recv, payload.length, this.limits.connectionWindow);
    if (connectionOwed > 0) this.enqueue(windowUpdateFrame(0, connectionOwed));
    const s = this.streams.get(streamId);
    if (!s) {
      if (streamId > this.lastStreamId) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `DATA on stream ${streamId}, never opened`);
      return; // a stream closed a moment ago (reset, or answered): its data is dropped
    }
    if (s.remoteEnded) throw new StreamError(streamId, H2_ERROR.STREAM_CLOSED, 'DATA after END_STREAM');
    if (!takeWindow(s, payload.length)) throw new StreamError(streamId, H2_ERROR.FLOW_CONTROL_ERROR, 'DATA past the stream window');
    const body = (flags & FLAG.PADDED) !== 0 ? unpadded(payload, 'DATA') : payload;
    const end = (flags & FLAG.END_STREAM) !== 0;
    // A stream the client ended is sent no more window.
    const owed = end ? 0 : windowOwed(s, payload.length, this.limits.streamWindow);
    if (owed > 0) this.enqueue(windowUpdateFrame(streamId, owed));
    if (body.length > 0) s.events?.streamData(body);
    if (end && !s.closed) this.remoteEnd(s);
  }

  private headerBlockDone(h: HeaderBlock | null): void {
    if (h === null) return;
    const { streamId, flags, block, selfDependent } = h;
    // Decoded whatever becomes of the stream: the decoder's table must stay in step with the client's.
    const { headers, oversized } = this.decoder.decode(block);
    const endStream = (flags & FLAG.END_STREAM) !== 0;
    if (selfDependent) {
      this.lastStreamId = Math.max(this.lastStreamId, streamId);
      throw new StreamError(streamId, H2_ERROR.PROTOCOL_ERROR, 'a stream cannot depend on itself');
    }
    const existing = this.streams.get(streamId);
    if (existing) {
      // Trailers from the client: they must end its side.
      if (!endStream || existing.remoteEnded) throw new StreamError(streamId, H2_ERROR.PROTOCOL_ERROR, 'a second header block that does not end the stream');
      this.remoteEnd(existing);
      return;
    }
    // A stream closed already (the server answered or reset it while the client still sent): RFC 9113 §5.1, ignored.
    if (streamId <= this.lastStreamId) return;
    this.lastStreamId = streamId;
    const malformed = malformedRequest(headers);
    if (malformed !== null) throw new StreamError(streamId, H2_ERROR.PROTOCOL_ERROR, malformed);
    if (this.goingAway) throw new StreamError(streamId, H2_ERROR.REFUSED_STREAM, 'the server is going away');
    if (this.streams.size + this.heldClosed >= this.limits.maxConcurrentStreams) throw new StreamError(streamId, H2_ERROR.REFUSED_STREAM, `${this.limits.maxConcurrentStreams} streams are open`);
    const s = new H2Stream(this, streamId, this.peerInitialWindow, this.limits.streamWindow);
    this.streams.set(streamId, s);
    this.opened(s, headers, oversized);
    if (endStream && !s.closed) this.remoteEnd(s);
  }

  private remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    s.events?.streamEnd();
  }

  private rstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (payload.length !== 4) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'RST_STREAM is 4 bytes');
    if (streamId > this.lastStreamId) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `RST_STREAM on stream ${streamId}, never opened`);
    const s = this.streams.get(streamId);
    if (s) this.closeStream(s, payload.readUInt32BE(0));
  }

  private settings(flags: number, streamId: number, payload: Buffer): void {
    const p = readPeerSettings(flags, streamId, payload);
    if (p === null) return;
    for (const value of p.initialWindows) {
      const delta = value - this.peerInitialWindow;
      this.peerInitialWindow = value;
      for (const s of this.streams.values()) {
        s.sendWindow += delta;
        if (s.sendWindow > MAX_WINDOW) throw new ConnectionError(H2_ERROR.FLOW_CONTROL_ERROR, 'a stream window past 2^31-1');
        if (delta > 0 && s.pendingBytes > 0) this.ready(s);
      }
    }
    if (p.maxFrame !== null) this.peerMaxFrame = p.maxFrame;
    // The server's blocks never use the dynamic table, but nghttp2 expects the update a smaller table calls for.
    if (p.headerTable) this.tableSizeUpdateOwed = true;
    this.enqueue(smallFrame(FRAME.SETTINGS, FLAG.ACK, 0));
  }

  private windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, 'WINDOW_UPDATE is 4 bytes');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(H2_ERROR.FLOW_CONTROL_ERROR, 'the connection window past 2^31-1');
      for (const s of this.blocked) this.ready(s);
      this.blocked.clear();
      return;
    }
    const s = this.streams.get(streamId);
    if (!s) {
      if (streamId > this.lastStreamId) throw new ConnectionError(H2_ERROR.PROTOCOL_ERROR, `WINDOW_UPDATE on stream ${streamId}, never opened`);
      return;
    }
    if (increment === 0) throw new StreamError(streamId, H2_ERROR.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW) throw new StreamError(streamId, H2_ERROR.FLOW_CONTROL_ERROR, 'a stream window past 2^31-1');
    if (s.pendingBytes > 0 || s.trailers !== null) this.ready(s);
  }
}
