// Splits a byte stream into Kafka frames: a 4-byte big-endian size, then
// that many bytes. Holds at most one frame's worth of bytes, so memory per
// connection is bounded by the frame limit. The broker reads requests with
// it, mqlab's clients read responses.
import { ByteQueue } from '../byte-queue.js';

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
  private readonly input = new ByteQueue();

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
    this.input.push(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.input.bytes < 4) break;
      const size = this.input.peek(4).readInt32BE(0);
      if (size < this.minFrameBytes) throw new FrameError(`invalid frame size ${size} (a frame here is at least ${this.minFrameBytes} bytes)`, frames);
      if (size > this.maxFrameBytes) throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`, frames);
      if (this.input.bytes < 4 + size) break;
      frames.push(this.input.take(4 + size).subarray(4));
    }
    return frames;
  }

  get bufferedBytes(): number {
    return this.input.bytes;
  }
}
