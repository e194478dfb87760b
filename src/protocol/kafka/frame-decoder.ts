// Splits a byte stream into Kafka frames: a 4-byte big-endian size, then
// that many bytes. Holds at most one frame's worth of bytes, so memory per
// connection is bounded by the frame limit. The broker reads requests with
// it, mqlab's clients read responses.

/** The smallest request: api key (2), api version (2), correlation id (4). */
export const MIN_REQUEST_FRAME_BYTES = 8;
/** The smallest response: its correlation id. */
export const MIN_RESPONSE_FRAME_BYTES = 4;

export class FrameError extends Error {
  constructor(
    message: string,
    /** The complete frames that came before the bad size in the same push: they are good and due an answer. */
    readonly frames: Buffer[] = [],
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    /** Settable: before a SASL login the limit is lower (sasl.server.max.receive.size). */
    public maxFrameBytes: number,
    /** Settable: a SASL v0 handshake is followed by bare tokens, which may be shorter than a request header. */
    public minFrameBytes = MIN_REQUEST_FRAME_BYTES,
  ) {}

  /**
   * Adds bytes; returns the complete frames (bodies, without the size).
   * Throws FrameError on a bad size, carrying the frames before it.
   */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const size = this.peekSize();
      if (size < this.minFrameBytes) throw new FrameError(`invalid frame size ${size} (a frame here is at least ${this.minFrameBytes} bytes)`, frames);
      if (size > this.maxFrameBytes) throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`, frames);
      if (this.buffered < 4 + size) break;
      frames.push(this.take(4 + size).subarray(4));
    }
    return frames;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.take(4, true).readInt32BE(0);
  }

  /** Removes (or, with peek, copies) the first n bytes. */
  private take(n: number, peek = false): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (peek) return first;
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    // Only the n bytes asked for are copied: the rest of the last chunk
    // touched stays where it is (a 16 KiB frame straddling into a fresh
    // 64 KiB read copied all 68 KiB before, nearly every byte received).
    const head = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - copied);
      c.copy(head, copied, 0, part);
      copied += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    if (peek) this.chunks.unshift(head);
    else this.buffered -= n;
    return head;
  }
}
