// Response frames from a socket, in arrival order, for the load tools that
// read answers in sequence rather than matching them to callers (that is
// KafkaConnection's job).
import type { Socket } from 'node:net';
import { FrameDecoder, MIN_RESPONSE_FRAME_BYTES } from '../protocol/kafka/frame-decoder.js';

/** Responses of any size a client may ask for (a fetch's max_bytes is an int32). */
export const MAX_RESPONSE_BYTES = 2 ** 31 - 1;

export class ResponseFrames {
  private readonly decoder = new FrameDecoder(MAX_RESPONSE_BYTES, MIN_RESPONSE_FRAME_BYTES);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private error: Error | null = null;

  constructor(socket: Socket) {
    socket.on('data', (b: Buffer) => {
      try {
        this.frames.push(...this.decoder.push(b));
      } catch (err) {
        this.error = err as Error;
        socket.destroy();
      }
      // A chunk that ends inside a frame completes nothing: waking the
      // reader then would hand it "no frame" as if its wait had timed out.
      if (this.frames.length > 0 || this.error) this.waiter?.();
    });
    socket.on('close', () => {
      this.error ??= new Error('the broker closed the connection');
      this.waiter?.();
    });
    socket.on('error', () => undefined); // surfaced as the close
  }

  /** True once the socket closed or sent a bad frame. */
  get closed(): boolean {
    return this.error !== null;
  }

  /**
   * The next whole frame; with a timeout, undefined if none came within it.
   * Throws once the connection is gone and every frame that arrived was taken.
   */
  next(): Promise<Buffer>;
  next(timeoutMs: number): Promise<Buffer | undefined>;
  async next(timeoutMs = Infinity): Promise<Buffer | undefined> {
    if (this.frames.length === 0 && !this.error) {
      await new Promise<void>((resolve) => {
        const t = Number.isFinite(timeoutMs) ? setTimeout(resolve, Math.max(0, timeoutMs)) : undefined;
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
    const frame = this.frames.shift();
    if (frame === undefined && this.error) throw this.error;
    return frame;
  }
}
