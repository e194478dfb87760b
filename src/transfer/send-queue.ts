// One queue per socket: the only writer of the socket's bytes while mqlab
// transfers on it. The addon writes to the socket's fd directly, bypassing
// Node's stream, so anything else writing concurrently would interleave
// bytes. Sends run one at a time, in the order they were asked for, and each
// picks its strategy only when it starts — so a strategy swap applies from
// the next send on, and a send in flight ends with the strategy it began with.
import type { Socket } from 'node:net';
import { native, STRATEGY_NAMES, type StrategyName } from '../native/addon.js';
import { plainSocketFd } from './socket-fd.js';
import type { FileRegion } from './types.js';

interface QueuedSend {
  pick: () => StrategyName;
  header: Buffer | null;
  regions: readonly FileRegion[];
  resolve: () => void;
  reject: (err: Error) => void;
}

const DONE: Promise<void> = Promise.resolve();
const queues = new WeakMap<Socket, SendQueue>();

export function enqueueSend(
  socket: Socket,
  pick: () => StrategyName,
  header: Buffer | null,
  regions: readonly FileRegion[],
): Promise<void> {
  let q = queues.get(socket);
  if (q === undefined) {
    q = new SendQueue(socket);
    queues.set(socket, q);
  }
  return q.send(pick, header, regions);
}

function socketClosedError(): Error {
  return Object.assign(new Error('socket closed before the send completed'), { code: 'ERR_SOCKET_CLOSED' });
}

function packRegions(regions: readonly FileRegion[]): Float64Array | null {
  if (regions.length === 0) return null;
  const packed = new Float64Array(regions.length * 3);
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!;
    // A closed file's number may already belong to another file: refuse the
    // send rather than read whatever the number names now.
    if (!r.file.open) throw Object.assign(new Error(`${r.file.path} was closed before its region was sent`), { code: 'ERR_FILE_CLOSED' });
    packed[i * 3] = r.file.fd;
    packed[i * 3 + 1] = r.position;
    packed[i * 3 + 2] = r.length;
  }
  return packed;
}

class SendQueue {
  private readonly waiting: QueuedSend[] = [];
  private busy = false;
  private pendingId = 0;
  private current: QueuedSend | undefined;

  constructor(private readonly socket: Socket) {
    socket.once('close', () => this.closed());
  }

  send(pick: () => StrategyName, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
    if (!this.busy && this.waiting.length === 0 && this.socket.writableLength === 0 && !this.socket.connecting) {
      // Fast path: nothing ahead of us. Most sends finish inside this call.
      let fd: number;
      try {
        fd = this.fd();
      } catch (err) {
        return Promise.reject(err as Error);
      }
      if (fd < 0) return Promise.reject(socketClosedError());
      const id = this.start(fd, pick(), header, regions);
      if (id === 0) return DONE;
      if (id < 0) return Promise.reject(this.lastError!);
      return new Promise<void>((resolve, reject) => {
        this.current = { pick, header, regions, resolve, reject };
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ pick, header, regions, resolve, reject });
      if (!this.busy) this.next();
    });
  }

  private lastError: Error | undefined;

  /** Starts a native send: 0 when done, the pending id, or -1 on failure. */
  private start(fd: number, strategy: StrategyName, header: Buffer | null, regions: readonly FileRegion[]): number {
    try {
      const id = native.send(STRATEGY_NAMES.indexOf(strategy), fd, header, packRegions(regions), (err) => this.done(err));
      if (id !== 0) {
        this.busy = true;
        this.pendingId = id;
      }
      return id;
    } catch (err) {
      this.lastError = err as Error;
      this.fail();
      return -1;
    }
  }

  private done(err: Error | null): void {
    const s = this.current!;
    this.current = undefined;
    this.busy = false;
    this.pendingId = 0;
    if (err) {
      s.reject(err);
      this.fail();
      return;
    }
    s.resolve();
    if (this.waiting.length > 0) this.next();
  }

  /** Runs waiting sends until one has to wait for the socket. */
  private next(): void {
    // Bytes Node's own stream still holds must leave first.
    if (this.socket.writableLength > 0 || this.socket.connecting) {
      this.busy = true;
      const resume = (): void => {
        this.busy = false;
        this.next();
      };
      if (this.socket.connecting) this.socket.once('connect', resume);
      else this.socket.once('drain', resume);
      return;
    }
    while (this.waiting.length > 0 && !this.busy) {
      const s = this.waiting.shift()!;
      const fd = this.fd();
      if (fd < 0) {
        s.reject(socketClosedError());
        continue;
      }
      const id = this.start(fd, s.pick(), s.header, s.regions);
      if (id === 0) s.resolve();
      else if (id < 0) s.reject(this.lastError!);
      else this.current = s;
    }
  }

  private fd(): number {
    const fd = plainSocketFd(this.socket);
    if (fd === null) throw new Error('mqlab transfer needs a plain TCP socket with a file descriptor (not TLS, not a pipe on Windows)');
    return fd;
  }

  /** A partly written response cannot be taken back: end the connection. */
  private fail(): void {
    this.socket.destroy();
    this.closed();
  }

  private closed(): void {
    if (this.pendingId !== 0) {
      native.cancel(this.pendingId);
      this.pendingId = 0;
      this.busy = false;
      const s = this.current;
      this.current = undefined;
      s?.reject(socketClosedError());
    }
    for (const s of this.waiting.splice(0)) s.reject(socketClosedError());
  }
}
