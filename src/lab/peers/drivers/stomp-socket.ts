// The socket @stomp/stompjs talks through, over plain TCP: stompjs is
// written against the WebSocket interface, and its TCP adapter
// (@stomp/tcp-wrapper) is a few lines that drop the socket's backpressure.
// This one is the same adapter keeping it: `backedUp` says the kernel
// buffer is full, and `drained()` resolves when it has room again, so a
// producer stops adding frames instead of queueing them in memory.
import { createConnection, type Socket } from 'node:net';
import { StompSocketState, type IStompSocket } from '@stomp/stompjs';

export class StompTcpSocket implements IStompSocket {
  readonly url: string;
  readyState: number = StompSocketState.CONNECTING;
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: { data: Buffer }) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  backedUp = false;
  /** The first socket error, for the message that says why the connection ended. */
  error: Error | null = null;
  private readonly socket: Socket;
  private drain: Promise<void> | null = null;

  constructor(host: string, port: number) {
    this.url = `tcp://${host}:${port}`;
    this.socket = createConnection({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      this.readyState = StompSocketState.OPEN;
      this.onopen?.();
    });
    // stompjs's parser copies each chunk into a Uint8Array of its own.
    this.socket.on('data', (data: Buffer) => this.onmessage?.({ data }));
    this.socket.on('error', (err) => {
      this.error ??= err;
      this.onerror?.({ type: 'error', message: err.message });
    });
    this.socket.on('close', (hadError) => {
      this.readyState = StompSocketState.CLOSED;
      this.backedUp = false;
      this.onclose?.({ wasClean: !hadError, type: 'close', code: hadError ? 4001 : 1000 });
    });
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (this.readyState !== StompSocketState.OPEN) return;
    let ok: boolean;
    if (typeof data === 'string') ok = this.socket.write(data);
    else if (ArrayBuffer.isView(data)) ok = this.socket.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) ok = this.socket.write(new Uint8Array(data));
    else throw new Error('stomp over TCP: a Blob cannot be written to a socket');
    if (!ok) this.backedUp = true;
  }

  /** Resolves once the socket has room again (at once if it has). */
  drained(): Promise<void> {
    if (!this.backedUp) return Promise.resolve();
    this.drain ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.backedUp = false;
        this.drain = null;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    return this.drain;
  }

  close(): void {
    this.readyState = StompSocketState.CLOSING;
    this.socket.end();
  }

  terminate(): void {
    this.readyState = StompSocketState.CLOSING;
    this.socket.destroy();
  }
}
