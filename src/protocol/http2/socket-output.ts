// What a connection sends, gathered until the event loop's check phase
// (every read of the poll before it handled) and written to its socket at
// once, by one writev straight to its descriptor (native/socket_write.cc)
// while Node's stream holds nothing for it; what
// the socket has no room for, and everything on a TLS socket, goes through
// the stream: joined into one buffer when small, as a writev when large (a
// receive's messages are not copied again). A client that does not read
// what it is answered (PINGs, SETTINGS) is not read either while more than
// WRITE_HIGH_WATER waits in the socket.
import type { Socket } from 'node:net';
import { native } from '../../native/addon.js';
import { plainSocketFd } from '../../transfer/socket-fd.js';
import { answersLeave } from '../before-answers.js';

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

  /**
   * The flush waits for the loop's check phase (setImmediate), not the end
   * of the callback (nextTick): Node reads a busy socket up to 32 times in
   * one poll, a callback per 64 KiB, so answers flushed per callback went
   * out 3 or 4 requests to a loopback write (about 30 µs each, with the
   * client's wake-up), where the Kafka listener, flushing at setImmediate,
   * wrote one per 50 produce responses.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    try {
      if (this.closed()) return;
      // What it pushes goes out with this flush: still scheduled, it asks for no other (which would cost an empty turn of the loop).
      this.beforeWrite();
    } finally {
      this.scheduled = false;
    }
    if (this.out.length === 0) return;
    answersLeave();
    const bufs = this.out;
    const total = this.outBytes;
    const sent = this.sent;
    this.out = [];
    this.outBytes = 0;
    this.sent = [];
    const done = sent.length === 0 ? undefined : () => {
      for (const cb of sent) cb();
    };
    const written = this.writeDirect(bufs);
    if (written === total) {
      // As the stream calls back: after this turn's code, never inside flush().
      if (done) process.nextTick(done);
    } else {
      this.writeStream(written === 0 ? bufs : rest(bufs, written), total - written, done);
    }
    if (!this.readPaused && this.socket.writableLength > WRITE_HIGH_WATER) {
      this.readPaused = true;
      this.socket.pause();
    }
  }

  /**
   * Bytes written straight to the socket's descriptor: 0 where the stream is
   * to take them all (it holds bytes still, a TLS socket, no room, or an
   * error, which the stream then meets again and reports as it does).
   */
  private writeDirect(bufs: Buffer[]): number {
    if (this.socket.writableLength > 0) return 0;
    const fd = plainSocketFd(this.socket);
    if (fd === null || fd < 0) return 0;
    const n = native.writeSome(fd, bufs);
    if (n <= 0) return 0;
    // A write through the stream counts as activity for the socket's idle timeout (net.Socket's own hook): so does this one.
    (this.socket as unknown as { _unrefTimer?: () => void })._unrefTimer?.();
    return n;
  }

  private writeStream(bufs: Buffer[], total: number, done: (() => void) | undefined): void {
    if (bufs.length === 1 || total <= JOIN_LIMIT) {
      this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, total), done);
    } else {
      this.socket.cork();
      for (let i = 0; i < bufs.length; i++) this.socket.write(bufs[i]!, i === bufs.length - 1 ? done : undefined);
      this.socket.uncork();
    }
  }
}

/** `bufs` after their first `skip` bytes. */
function rest(bufs: Buffer[], skip: number): Buffer[] {
  let i = 0;
  while (skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
  const out = bufs.slice(i);
  if (skip > 0) out[0] = out[0]!.subarray(skip);
  return out;
}
