// HTTP/2 frames cut from a connection's reads: the client's preface first
// (on a server's connection), then each whole frame handed on where it lies
// in the read (no copy); only a frame split between reads is copied, once,
// into a buffer of its own size, so a read is never kept for a few bytes of it.
import { ConnectionError, DEFAULT_MAX_FRAME, FRAME_HEADER_BYTES, H2_ERROR, PREFACE } from './frames.js';

export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

export interface FrameReaderOptions {
  /** The client's preface comes first (a server's reader). */
  preface?: boolean;
  /** The largest frame payload taken (the SETTINGS_MAX_FRAME_SIZE this side announced); a larger one is a connection error. */
  maxFrame?: number;
  /** Where a split frame is joined: a buffer of at least `bytes` (a pool's, which whoever ends up holding the frame may give back). */
  lend?: (bytes: number) => Buffer;
}

export class FrameReader {
  private prefaceSeen = 0;
  /** A frame header split between reads: its first bytes. */
  private head: Buffer | null = null;
  /** A split frame being joined: its buffer, and how much of it has come. */
  private joining: Buffer | null = null;
  private joined = 0;
  private readonly maxFrame: number;
  private readonly lend: (bytes: number) => Buffer;

  /** `stopped` says to read no further (the connection failed while a frame was handled). */
  constructor(private readonly onFrame: FrameHandler, private readonly stopped: () => boolean, options: FrameReaderOptions = {}) {
    if (options.preface === false) this.prefaceSeen = PREFACE.length;
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.lend = options.lend ?? Buffer.allocUnsafe;
  }

  /** One read; false when it is not HTTP/2 (the preface did not match: nothing to answer in its language). Throws ConnectionError for a frame past the largest size. */
  push(chunk: Buffer): boolean {
    let buf = chunk;
    if (this.prefaceSeen < PREFACE.length) {
      const n = Math.min(PREFACE.length - this.prefaceSeen, buf.length);
      if (PREFACE.compare(buf, 0, n, this.prefaceSeen, this.prefaceSeen + n) !== 0) return false;
      this.prefaceSeen += n;
      buf = buf.subarray(n);
      if (buf.length === 0) return true;
    }
    if (this.head !== null) {
      // Not even the header came whole: it is joined first (a few bytes).
      const take = Math.min(FRAME_HEADER_BYTES - this.head.length, buf.length);
      const head = Buffer.concat([this.head, buf.subarray(0, take)]);
      buf = buf.subarray(take);
      this.head = null;
      if (head.length < FRAME_HEADER_BYTES) {
        this.head = head;
        return true;
      }
      this.startJoin(head, 0, head.length);
    }
    if (this.joining !== null) {
      const frame = this.joining;
      const take = Math.min(frame.length - this.joined, buf.length);
      buf.copy(frame, this.joined, 0, take);
      this.joined += take;
      buf = buf.subarray(take);
      if (this.joined < frame.length) return true;
      this.joining = null;
      this.frame(frame, 0);
      if (this.stopped()) return true;
    }
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_BYTES && !this.stopped()) {
      const length = this.frameLength(buf, at);
      if (buf.length - at < FRAME_HEADER_BYTES + length) break;
      this.frame(buf, at);
      at += FRAME_HEADER_BYTES + length;
    }
    if (at === buf.length || this.stopped()) return true;
    if (buf.length - at < FRAME_HEADER_BYTES) this.head = Buffer.from(buf.subarray(at));
    else this.startJoin(buf, at, buf.length - at);
    return true;
  }

  /** A frame whose header starts at `at` and whose first `have` bytes are there: copied into a buffer of its whole size. */
  private startJoin(buf: Buffer, at: number, have: number): void {
    const total = FRAME_HEADER_BYTES + this.frameLength(buf, at);
    const frame = this.lend(total).subarray(0, total);
    buf.copy(frame, 0, at, at + have);
    this.joining = frame;
    this.joined = have;
  }

  private frame(buf: Buffer, at: number): void {
    const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    this.onFrame(buf[at + 3]!, buf[at + 4]!, buf.readUInt32BE(at + 5) & 0x7fffffff, buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length));
  }

  /** The length of the frame whose header starts at `at`; past the largest frame, a connection error. */
  private frameLength(b: Buffer, at: number): number {
    const length = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
    if (length > this.maxFrame) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, `a frame of ${length} bytes: the largest is ${this.maxFrame}`);
    return length;
  }
}
