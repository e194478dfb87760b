// The broker's network layer with a test handler: framing, ordering, and
// every limit, over real loopback sockets.
import { once } from 'node:events';
import { openSync, writeSync, closeSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesResponse, type KafkaRequest, type KafkaResponse, type RequestHandler } from '../src/broker/network/connection.js';
import type { NetworkLimits } from '../src/broker/network/limits.js';
import { KafkaServer } from '../src/broker/network/server.js';
import { holdRegion, LiveTransfer, SharedFile, type FileRegion } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';
import { RawClient } from './helpers/raw-client.js';
import { Progress, until } from './helpers/until.js';

let server: KafkaServer | undefined;
const clients: RawClient[] = [];

/** The correlation id, as the answer's body. */
function answer(req: KafkaRequest): KafkaResponse {
  const body = Buffer.alloc(4);
  body.writeInt32BE(req.correlationId, 0);
  return bytesResponse(body);
}

/** Answers with the correlation id; 99 throws; 98 answers nothing. */
async function echo(req: KafkaRequest): Promise<KafkaResponse | null> {
  if (req.apiKey === 99) throw new Error('malformed request');
  if (req.apiKey === 98) return null;
  return answer(req);
}

/** Requests the handler holds until the test lets them go, in the order they came. */
class Held {
  private readonly waiting: (() => void)[] = [];
  letGo = false;

  hold(): Promise<void> {
    if (this.letGo) return Promise.resolve();
    return new Promise((r) => this.waiting.push(r));
  }

  get count(): number {
    return this.waiting.length;
  }

  /** Lets the oldest held request go on. */
  releaseOne(): void {
    this.waiting.shift()!();
  }

  /** Lets every held request go on, and every later one pass. */
  releaseAll(): void {
    this.letGo = true;
    for (const r of this.waiting.splice(0)) r();
  }
}

/**
 * The server's listener, reached past `private`: how the broker reads its
 * sockets is what some tests watch, and nothing else needs a hook for it.
 * Its own connection listener runs first, so an accepted socket seen here
 * already has its Connection.
 */
const listener = (): Server => (server as unknown as { servers: { server: Server }[] }).servers[0]!.server;

/** The broker-side sockets of connections accepted from now on. */
function acceptedSockets(): Socket[] {
  const sockets: Socket[] = [];
  listener().on('connection', (s: Socket) => sockets.push(s));
  return sockets;
}

async function start(limits: Partial<NetworkLimits> = {}, handler: RequestHandler = echo): Promise<number> {
  server = new KafkaServer({ port: 0, limits, handler, transfer: new LiveTransfer('sendfile') });
  return (await server.listen()).port;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

const idOf = (b: Buffer | null): number => b!.readInt32BE(0);

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

describe('broker network layer', () => {
  it('answers pipelined requests in order even when they finish out of order', async () => {
    // Each request is held until the test lets it go; they finish in this order of correlation ids.
    const finishOrder = [3, 1, 6, 4, 8, 2, 9, 5, 7, 0];
    const held = new Map<number, () => void>();
    const finished: number[] = [];
    const arrived = new Progress();
    const port = await start({}, async (req) => {
      await new Promise<void>((r) => {
        held.set(req.correlationId, r);
        arrived.made();
      });
      finished.push(req.correlationId);
      return answer(req);
    });
    const c = await client(port);
    c.send(Buffer.concat(finishOrder.map((_, i) => RawClient.frame(1, 0, i))));
    await arrived.until('all 10 requests in the handler', () => held.size === 10, 5_000);
    for (const id of finishOrder) held.get(id)!();
    const got: number[] = [];
    for (let i = 0; i < finishOrder.length; i++) got.push(idOf(await c.next()));
    expect(finished).toEqual(finishOrder);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reassembles frames split at every byte', async () => {
    const port = await start();
    const accepted = once(listener(), 'connection') as Promise<[Socket]>;
    const c = await client(port);
    const [broker] = await accepted;
    const bytes = Buffer.concat([RawClient.frame(3, 0, 41), RawClient.frame(3, 0, 42)]);
    const reads: number[] = [];
    broker.on('data', (chunk: Buffer) => reads.push(chunk.length));
    for (let i = 0; i < bytes.length; i++) {
      // The next byte goes only once the broker has read this one: every read is one byte.
      const read = once(broker, 'data');
      c.send(bytes.subarray(i, i + 1));
      await read;
    }
    expect(reads).toEqual(Array(bytes.length).fill(1));
    expect([idOf(await c.next()), idOf(await c.next())]).toEqual([41, 42]);
  });

  it('sends no response when the handler says none is due, and keeps order', async () => {
    const port = await start();
    const c = await client(port);
    c.send(Buffer.concat([RawClient.frame(98, 0, 1), RawClient.frame(3, 0, 2)]));
    expect(idOf(await c.next())).toBe(2);
  });

  it('sends a response of several parts: bytes, file regions, bytes, file regions', async () => {
    const tmp = tempDir();
    const fd = openSync(join(tmp.dir, 'r.log'), 'w+');
    writeSync(fd, Buffer.from('0123456789'));
    const file = new SharedFile(fd, 'r.log');
    // Each region leases the file, as an engine's read does; the connection gives the leases back once sent.
    const leased = (position: number, length: number): FileRegion => holdRegion({ file, position, length });
    const port = await start({}, (req) => ({ parts: [{ bytes: Buffer.from([req.correlationId]), regions: [leased(2, 5)] }, { bytes: Buffer.from('!'), regions: [leased(0, 1)] }] }));
    const c = await client(port);
    c.send(RawClient.frame(1, 0, 7));
    expect((await c.next())!.toString('latin1')).toBe('\x0723456!0');
    file.close();
    expect(file.open).toBe(false);
    tmp.cleanup();
  });

  it.each([
    ['larger than the limit', 2048],
    ['negative', -5],
    ['too small for a header', 3],
  ])('closes a connection whose frame size is %s, and serves the others', async (_, size) => {
    const port = await start({ maxFrameBytes: 1024 });
    const bad = await client(port);
    const good = await client(port);
    const head = Buffer.alloc(4);
    head.writeInt32BE(size, 0);
    bad.send(head);
    expect(await bad.waitClosed()).toBe(true);
    good.send(RawClient.frame(3, 0, 5));
    expect(idOf(await good.next())).toBe(5);
  });

  it('closes a connection whose request the handler cannot parse, and serves the others', async () => {
    const port = await start();
    const bad = await client(port);
    const good = await client(port);
    bad.send(Buffer.concat([RawClient.frame(3, 0, 1), RawClient.frame(99, 0, 2), RawClient.frame(3, 0, 3)]));
    expect(idOf(await bad.next())).toBe(1);
    expect(await bad.next()).toBeNull();
    good.send(RawClient.frame(3, 0, 9));
    expect(idOf(await good.next())).toBe(9);
  });

  it('survives a client that sends half a frame and disconnects', async () => {
    const port = await start();
    const c = await client(port);
    c.send(RawClient.frame(3, 0, 1, Buffer.alloc(100)).subarray(0, 50));
    c.close();
    const d = await client(port);
    d.send(RawClient.frame(3, 0, 2));
    expect(idOf(await d.next())).toBe(2);
  });

  it('refuses connections past the limit and accepts again when one closes', async () => {
    const port = await start({ maxConnections: 2 });
    const a = await client(port);
    const b = await client(port);
    const c = await client(port);
    expect(await c.waitClosed()).toBe(true);
    expect(server!.refusedConnections).toBe(1);
    b.send(RawClient.frame(3, 0, 1));
    expect(idOf(await b.next())).toBe(1);
    a.close();
    await until('the broker has seen the close', () => server!.connectionCount < 2);
    const d = await client(port);
    d.send(RawClient.frame(3, 0, 4));
    expect(idOf(await d.next())).toBe(4);
  });

  it('closes idle connections', async () => {
    const port = await start({ idleTimeoutMs: 100 });
    const c = await client(port);
    c.send(RawClient.frame(3, 0, 1));
    expect(idOf(await c.next())).toBe(1);
    expect(await c.waitClosed(2000)).toBe(true);
  });

  it('processes at most maxInFlightRequests of one connection at once', async () => {
    let running = 0;
    let peak = 0;
    const held = new Held();
    const port = await start({ maxInFlightRequests: 3 }, async (req) => {
      running++;
      peak = Math.max(peak, running);
      await held.hold();
      running--;
      return bytesResponse(Buffer.from([req.correlationId]));
    });
    const sockets = acceptedSockets();
    const c = await client(port);
    c.send(Buffer.concat(Array.from({ length: 20 }, (_, i) => RawClient.frame(3, 0, i))));
    // The broker stops reading once its in-flight requests are all held: it is at rest until one is let go.
    await until('the broker pauses the connection', () => sockets.length === 1 && sockets[0]!.isPaused());
    expect(running).toBe(3);
    // One at a time: each answer frees a slot for the next request.
    for (let i = 0; i < 20; i++) {
      await until(`request ${i} in the handler`, () => held.count > 0);
      held.releaseOne();
      expect((await c.next())![0]).toBe(i);
    }
    expect(peak).toBe(3);
  });

  it('bounds the request bytes held across connections', async () => {
    const frames = 4;
    const frameBytes = 4 + 8 + 200 * 1024;
    let peakQueued = 0;
    const held = new Held();
    const port = await start({ maxFrameBytes: 256 * 1024, maxQueuedBytes: 512 * 1024 }, async (req) => {
      peakQueued = Math.max(peakQueued, server!.queuedBytes);
      await held.hold();
      return bytesResponse(Buffer.from([req.correlationId]));
    });
    const sockets = acceptedSockets();
    const cs = await Promise.all([client(port), client(port), client(port)]);
    for (const c of cs) c.send(Buffer.concat(Array.from({ length: frames }, (_, i) => RawClient.frame(0, 0, i, Buffer.alloc(200 * 1024)))));
    // With every request held, the broker reads until each connection is
    // paused or has read all it was sent: as much as it will ever hold.
    await until('every connection paused or read to its end', () => sockets.length === 3 && sockets.every((s) => s.isPaused() || s.bytesRead === frames * frameBytes));
    const atRest = server!.queuedBytes;
    // Reading stops once the budget is spent; at most what was already read past it.
    expect(atRest).toBeGreaterThanOrEqual(512 * 1024);
    expect(atRest).toBeLessThanOrEqual(512 * 1024 + 3 * 2 * 256 * 1024);
    held.releaseAll();
    for (const c of cs) for (let i = 0; i < frames; i++) expect((await c.next())![0]).toBe(i);
    expect(peakQueued).toBeLessThanOrEqual(512 * 1024 + 3 * 2 * 256 * 1024);
    expect(server!.queuedBytes).toBe(0);
  });
});
