// A raw Kafka-framing client for network tests: writes size-prefixed frames,
// reads size-prefixed responses.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly responses: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, b]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        this.responses.push(this.buffered.subarray(4, 4 + n));
        this.buffered = this.buffered.subarray(4 + n);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawClient> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new RawClient(s);
  }

  /** A request frame: api key, version, correlation id, then `body`. */
  static frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0)): Buffer {
    const f = Buffer.alloc(4 + 8 + body.length);
    f.writeInt32BE(8 + body.length, 0);
    f.writeInt16BE(apiKey, 4);
    f.writeInt16BE(apiVersion, 6);
    f.writeInt32BE(correlationId, 8);
    body.copy(f, 12);
    return f;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response, or null if the connection closed first. */
  async next(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response in time');
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
    return this.responses.shift() ?? null;
  }

  /** True once the broker has closed the connection; false if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
