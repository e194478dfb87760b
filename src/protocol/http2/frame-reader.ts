// HTTP/2 frames cut from a connection's reads: the client's preface first
// (on a server's connection), then each whole frame handed on where it lies in the read (no copy); only
// a frame split between two reads is joined, from the pieces it needs, so a
// read is never kept for a few bytes of it.
import { ConnectionError, DEFAULT_MAX_FRAME, FRAME_HEADER_BYTES, H2_ERROR, PREFACE } from './frames.js';

export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

export class FrameReader {
  private prefaceSeen = 0;
  private rest: Buffer | null = null;

  /** `stopped` says to read no further (the connection failed while a frame was handled); `preface`: the client's preface comes first (a server's reader). */
  constructor(private readonly onFrame: FrameHandler, private readonly stopped: () => boolean, preface = true) {
    if (!preface) this.prefaceSeen = PREFACE.length;
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
    if (this.rest !== null) {
      let rest = this.rest;
      this.rest = null;
      if (rest.length < FRAME_HEADER_BYTES) {
        const take = Math.min(FRAME_HEADER_BYTES - rest.length, buf.length);
        rest = Buffer.concat([rest, buf.subarray(0, take)]);
        buf = buf.subarray(take);
        if (rest.length < FRAME_HEADER_BYTES) {
          this.rest = rest;
          return true;
        }
      }
      const total = FRAME_HEADER_BYTES + frameLength(rest, 0);
      const take = Math.min(total - rest.length, buf.length);
      if (take > 0) rest = Buffer.concat([rest, buf.subarray(0, take)]);
      buf = buf.subarray(take);
      if (rest.length < total) {
        this.rest = rest;
        return true;
      }
      this.frame(rest, 0);
      if (this.stopped()) return true;
    }
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_BYTES && !this.stopped()) {
      const length = frameLength(buf, at);
      if (buf.length - at < FRAME_HEADER_BYTES + length) break;
      this.frame(buf, at);
      at += FRAME_HEADER_BYTES + length;
    }
    if (at < buf.length && !this.stopped()) this.rest = Buffer.from(buf.subarray(at));
    return true;
  }

  private frame(buf: Buffer, at: number): void {
    const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    this.onFrame(buf[at + 3]!, buf[at + 4]!, buf.readUInt32BE(at + 5) & 0x7fffffff, buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length));
  }
}

/** The length of the frame whose header starts at `at`; past the largest frame (SETTINGS_MAX_FRAME_SIZE left at its default), a connection error. */
function frameLength(b: Buffer, at: number): number {
  const length = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
  if (length > DEFAULT_MAX_FRAME) throw new ConnectionError(H2_ERROR.FRAME_SIZE_ERROR, `a frame of ${length} bytes: the largest is ${DEFAULT_MAX_FRAME}`);
  return length;
}
