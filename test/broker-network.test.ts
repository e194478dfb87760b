// The broker's network layer with a test handler: framing, ordering, and
// every limit, over real loopback sockets.
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesResponse, type KafkaRequest, type KafkaResponse, type RequestHandler } from '../src/broker/network/connection.js';
import type { NetworkLimits } from '../src/broker/network/limits.js';
import { KafkaServer } from '../src/broker/network/server.js';
import { holdRegion, LiveTransfer, SharedFile, type FileRegion } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';
import { RawClient } from './helpers/raw-client.js';
import { until } from './helpers/until.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: KafkaServer | undefined;
const clients: RawClient[] = [];

/** Answers with the correlation id; api key 1 waits `body[0]` * 10 ms; 99 throws; 98 answers nothing. */
async function echo(req: KafkaRequest): Promise<KafkaResponse | null> {
  if (req.apiKey === 99) throw new Error('malformed request');
  if (req.apiKey === 98) return null;
  if (req.apiKey === 1 && req.frame.length > 8) await sleep(req.frame[8]! * 10);
  const body = Buffer.alloc(4);
  body.writeInt32BE(req.correlationId, 0);
  return bytesResponse(body);
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
    const port = await start();
    const c = await client(port);
    const delays = [9, 1, 5, 0, 3, 7, 2, 8, 4, 6];
    c.send(Buffer.concat(delays.map((d, i) => RawClient.frame(1, 0, i, Buffer.from([d])))));
    const got: number[] = [];
    for (let i = 0; i < delays.length; i++) got.push(idOf(await c.next()));
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reassembles frames split at every byte', async () => {
    const port = await start();
    const c = await client(port);
    const bytes = Buffer.concat([RawClient.frame(3, 0, 41), RawClient.frame(3, 0, 42)]);
    for (let i = 0; i < bytes.length; i++) {
      c.send(bytes.subarray(i, i + 1));
      await sleep(1);
    }
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
    const port = await start({ maxInFlightRequests: 3 }, async (req) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
      return bytesResponse(Buffer.from([req.correlationId]));
    });
    const c = await client(port);
    c.send(Buffer.concat(Array.from({ length: 20 }, (_, i) => RawClient.frame(3, 0, i))));
    for (let i = 0; i < 20; i++) expect((await c.next())![0]).toBe(i);
    expect(peak).toBe(3);
  });

  it('bounds the request bytes held across connections', async () => {
    let peakQueued = 0;
    const port = await start({ maxFrameBytes: 256 * 1024, maxQueuedBytes: 512 * 1024 }, async (req) => {
      peakQueued = Math.max(peakQueued, server!.queuedBytes);
      await sleep(20);
      return bytesResponse(Buffer.from([req.correlationId]));
    });
    const cs = await Promise.all([client(port), client(port), client(port)]);
    for (const c of cs) c.send(Buffer.concat(Array.from({ length: 4 }, (_, i) => RawClient.frame(0, 0, i, Buffer.alloc(200 * 1024)))));
    for (const c of cs) for (let i = 0; i < 4; i++) expect((await c.next())![0]).toBe(i);
    // Reading stops once the budget is spent; at most what was already read past it.
    expect(peakQueued).toBeLessThanOrEqual(512 * 1024 + 3 * 2 * 256 * 1024);
    expect(server!.queuedBytes).toBe(0);
  });
});
