// What a connection sends, gathered over one turn of the event loop and
// written to its socket at once: joined into one buffer when small, as a
// writev when large (a receive's messages are not copied again). A client
// that does not read what it is answered (PINGs, SETTINGS) is not read
// either while more than WRITE_HIGH_WATER waits in the socket.
import type { Socket } from 'node:net';

/** Answers queued in the socket past this: stop reading the client until they drain. */
const WRITE_HIGH_WATER = 4 * 1024 * 1024;
/**
 * Above this, a flush goes out as several buffers (writev) instead of being
 * joined: small answers (acks, statuses) cost less joined, a receive's
 * deliveries (tens of KiB) less written as they are than copied again.
 */
const JOIN_LIMIT = 8 * 1024;

export class SocketOutput {
  private out: Buffer[] = [];
  private outBytes = 0;
  private sent: Array<() => void> = [];
  private scheduled = false;
  private readPaused = false;

  /** `beforeWrite` runs at each flush first (the connection fills in DATA as its windows allow). */
  constructor(private readonly socket: Socket, private readonly beforeWrite: () => void, private readonly closed: () => boolean) {
    socket.on('drain', () => {
      if (this.readPaused) {
        this.readPaused = false;
        socket.resume();
      }
    });
  }

  push(buf: Buffer): void {
    this.out.push(buf);
    this.outBytes += buf.length;
    this.schedule();
  }

  /** Called once everything pushed before it has been written to the socket. */
  whenWritten(cb: () => void): void {
    this.sent.push(cb);
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.closed()) return;
    this.beforeWrite();
    if (this.out.length === 0) return;
    const bufs = this.out;
    const total = this.outBytes;
    const sent = this.sent;
    this.out = [];
    this.outBytes = 0;
    this.sent = [];
    const done = sent.length === 0 ? undefined : () => {
      for (const cb of sent) cb();
    };
    if (bufs.length === 1 || total <= JOIN_LIMIT) {
      this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, total), done);
    } else {
      this.socket.cork();
      for (let i = 0; i < bufs.length; i++) this.socket.write(bufs[i]!, i === bufs.length - 1 ? done : undefined);
      this.socket.uncork();
    }
    if (!this.readPaused && this.socket.writableLength > WRITE_HIGH_WATER) {
      this.readPaused = true;
      this.socket.pause();
    }
  }
}
