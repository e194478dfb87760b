// HTTP/2 by hand on a raw TCP socket: frames as bytes (RFC 9113 §4.1),
// headers as HPACK literals without indexing or Huffman (RFC 7541 §6.2.2),
// so a test can send what no HTTP/2 library would, and read back what the
// server answers frame by frame.
import { connect, type Socket } from 'node:net';
import { encode, rpc } from './rocketmq-schema.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const FRAME = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4, PADDED: 8, PRIORITY: 0x20 } as const;
export const REFUSED_STREAM = 7;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([head, payload]);
}

function hpackLength(n: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (n < max) return Buffer.from([first | n]);
  const out = [first | max];
  n -= max;
  while (n >= 128) {
    out.push((n & 0x7f) | 0x80);
    n >>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** A header block: every field a literal without indexing, new name. */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.flatMap(([k, v]) => [Buffer.from([0]), hpackLength(Buffer.byteLength(k), 7, 0), Buffer.from(k), hpackLength(Buffer.byteLength(v), 7, 0), Buffer.from(v)]));
}

export function grpcHeaders(method: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  return headerBlock([[':method', 'POST'], [':scheme', 'http'], [':path', `/apache.rocketmq.v2.MessagingService/${method}`], [':authority', 'localhost'], ['content-type', 'application/grpc'], ['te', 'trailers'], ...extra]);
}

/** A gRPC message: the compressed flag, the length, the protobuf. */
export function grpcMessage(bytes: Buffer, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

/** A WINDOW_UPDATE of `increment` bytes for a stream (0: the connection). */
export function windowUpdate(streamId: number, increment: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(increment);
  return frame(FRAME.WINDOW_UPDATE, 0, streamId, b);
}

/** The server ended the stream (its trailers) or reset it. */
export function streamEnded(frames: readonly Frame[], streamId: number): boolean {
  return frames.some((f) => f.streamId === streamId && (f.type === FRAME.RST_STREAM || ((f.type === FRAME.HEADERS || f.type === FRAME.DATA) && (f.flags & FLAG.END_STREAM) !== 0)));
}

/** The gRPC messages a stream's DATA frames carried, each without its 5-byte prefix. */
export function grpcMessagesOf(frames: readonly Frame[], streamId: number): Buffer[] {
  const data = Buffer.concat(frames.filter((f) => f.type === FRAME.DATA && f.streamId === streamId).map((f) => f.payload));
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const n = data.readUInt32BE(at + 1);
    out.push(data.subarray(at + 5, at + 5 + n));
    at += 5 + n;
  }
  return out;
}

/** A ReceiveMessage that long-polls `seconds`, as DATA. */
export function longPoll(topic: string, seconds: number): Buffer {
  const r = rpc('ReceiveMessage');
  return grpcMessage(encode(r.request, { group: { name: 'h2-group' }, messageQueue: { topic: { name: topic }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '10' }, longPollingTimeout: { seconds: String(seconds) } }));
}

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw connection that collects the server's frames and says when the server closed it. */
export class RawH2 {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  error: string | null = null;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 9) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < 9 + len) break;
        this.frames.push({ type: this.buf[3]!, flags: this.buf[4]!, streamId: this.buf.readUInt32BE(5) & 0x7fffffff, payload: this.buf.subarray(9, 9 + len) });
        this.buf = this.buf.subarray(9 + len);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error ??= err.code ?? err.message));
    this.closed = new Promise((resolve) => socket.once('close', () => {
      for (const w of this.waiters.splice(0)) w();
      resolve();
    }));
  }

  static async open(port: number): Promise<RawH2> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawH2(socket);
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Writes, unless the server has closed already (then the bytes are dropped). */
  send(bytes: Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  /** Waits until `check` holds for the frames so far, or the connection closes, or `deadlineMs` passes; says whether it held. */
  async until(check: (frames: Frame[]) => boolean, deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (!check(this.frames)) {
      if (this.socket.destroyed || Date.now() > end) return check(this.frames);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, end - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** Resolves true once the server has closed the connection, false at the deadline. */
  closedWithin(deadlineMs: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs).unref())]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The client's half of a connection start: preface and empty SETTINGS; then it acks the server's. */
export function handshake(): Buffer {
  return Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), frame(FRAME.SETTINGS, FLAG.ACK, 0)]);
}
