// Loopback socket pairs for transfer tests: `sender` is the accepted
// (broker-side) socket, `receiver` the client that reads.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Pair {
  sender: Socket;
  receiver: Socket;
}

export class PairFactory {
  private server: Server | undefined;
  // Accepted sockets by their remote port: concurrent connects may be
  // accepted in any order, so a pair is matched by port, never by order.
  private readonly accepted = new Map<number, Socket>();
  private readonly waiters = new Map<number, (s: Socket) => void>();
  private readonly all: Socket[] = [];

  async start(): Promise<void> {
    this.server = createServer((s) => {
      this.all.push(s);
      const port = s.remotePort!;
      const w = this.waiters.get(port);
      if (w) {
        this.waiters.delete(port);
        w(s);
      } else {
        this.accepted.set(port, s);
      }
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async pair(): Promise<Pair> {
    const port = (this.server!.address() as { port: number }).port;
    const receiver = connect(port, '127.0.0.1');
    this.all.push(receiver);
    await once(receiver, 'connect');
    const local = receiver.localPort!;
    const sender = await new Promise<Socket>((resolve) => {
      const s = this.accepted.get(local);
      if (s) {
        this.accepted.delete(local);
        resolve(s);
      } else {
        this.waiters.set(local, resolve);
      }
    });
    return { sender, receiver };
  }

  async stop(): Promise<void> {
    for (const s of this.all) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Reads exactly `n` bytes (then stops reading). */
export function readExactly(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    if (n === 0) return resolve(Buffer.alloc(0));
    const onData = (b: Buffer): void => {
      chunks.push(b);
      got += b.length;
      if (got >= n) {
        socket.off('data', onData);
        socket.off('error', reject);
        socket.pause();
        const all = Buffer.concat(chunks);
        if (all.length > n) socket.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.resume();
  });
}

/** Reads `n` bytes, returning their SHA-1 (for transfers too big to hold). */
export function hashExactly(socket: Socket, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha1');
    let got = 0;
    const onData = (b: Buffer): void => {
      const take = Math.min(b.length, n - got);
      h.update(take === b.length ? b : b.subarray(0, take));
      got += take;
      if (got >= n) {
        socket.off('data', onData);
        socket.pause();
        resolve(h.digest('hex'));
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.resume();
  });
}
