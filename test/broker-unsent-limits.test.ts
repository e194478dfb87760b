// Response bytes waiting for slow readers are bounded: per connection (in
// memory and in file regions), and in memory across all connections. A
// connection past its bound starts no further request until its reader
// catches up; nothing is dropped, and every response arrives, in order.
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bytesResponse, type KafkaRequest, type KafkaResponse, type RequestHandler } from '../src/broker/network/connection.js';
import type { NetworkLimits } from '../src/broker/network/limits.js';
import { KafkaServer } from '../src/broker/network/server.js';
import { native } from '../src/native/addon.js';
import { holdRegion, LiveTransfer, SharedFile, sharedFileStats } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';
import { RawClient } from './helpers/raw-client.js';
import { turns, until } from './helpers/until.js';

const MiB = 1024 * 1024;
let server: KafkaServer | undefined;
const clients: RawClient[] = [];
const tmp = tempDir();
afterAll(() => tmp.cleanup());

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function start(limits: Partial<NetworkLimits>, handler: RequestHandler): Promise<number> {
  server = new KafkaServer({ port: 0, limits, handler, transfer: new LiveTransfer('sendfile') });
  return (await server.listen()).port;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}



const idOf = (b: Buffer | null): number => b!.readInt32BE(0);

describe('bytes queued for slow readers', () => {
  it('a connection whose reader stops starts no request past its unsent-bytes bound, then answers them all in order', async () => {
    const path = join(tmp.dir, 'one-mib.log');
    const fd = openSync(path, 'w+');
    writeSync(fd, Buffer.alloc(MiB, 7));
    const file = new SharedFile(fd, path);
    let started = 0;
    const limit = 8 * MiB;
    // Each answer: the correlation id, then 1 MiB from the file, leased as an engine's read would.
    const port = await start({ maxUnsentBytesPerConnection: limit }, (req: KafkaRequest): KafkaResponse => {
      started++;
      const id = Buffer.alloc(4);
      id.writeInt32BE(req.correlationId);
      return { parts: [{ bytes: id, regions: [holdRegion({ file, position: 0, length: MiB })] }] };
    });
    const c = await client(port);
    c.socket.pause();
    const n = 200;
    c.send(Buffer.concat(Array.from({ length: n }, (_, i) => RawClient.frame(3, 0, i))));
    await until('the connection reaches its bound', () => server!.maxUnsentBytes >= limit);
    await turns(200);
    const startedWhilePaused = started;
    // What the kernel's buffers took, plus the bound, plus the requests in flight when it was crossed.
    expect(startedWhilePaused).toBeLessThan(n);
    expect(server!.maxUnsentBytes).toBeLessThanOrEqual(limit + 64 * (MiB + 8));
    expect(native.pendingCount()).toBeGreaterThan(0);
    await turns(200);
    expect(started).toBe(startedWhilePaused);

    c.socket.resume();
    for (let i = 0; i < n; i++) {
      const r = await c.next(30_000);
      expect(idOf(r)).toBe(i);
      expect(r!.length).toBe(4 + MiB);
    }
    expect(started).toBe(n);
    await until('nothing is left unsent', () => server!.maxUnsentBytes === 0);
    file.close();
    expect(file.open).toBe(false); // every lease came back
  });

  it('in-memory response bytes across connections are bounded; a reader behind the bound waits, then is served', async () => {
    const limit = 4 * MiB;
    let started = 0;
    const port = await start({ maxUnsentMemoryBytes: limit, maxFrameBytes: MiB, maxQueuedBytes: 64 * MiB }, (req) => {
      started++;
      const body = Buffer.alloc(256 * 1024, 1);
      body.writeInt32BE(req.correlationId);
      return bytesResponse(body);
    });
    const slow = await Promise.all([client(port), client(port), client(port)]);
    for (const s of slow) {
      s.socket.pause();
      s.send(Buffer.concat(Array.from({ length: 64 }, (_, i) => RawClient.frame(3, 0, i))));
    }
    await until('the memory bound is reached', () => server!.unsentMemoryBytes >= limit);
    await turns(200);
    expect(server!.unsentMemoryBytes).toBeLessThanOrEqual(limit + 3 * 64 * (256 * 1024 + 4));

    const fast = await client(port);
    const before = started;
    fast.send(RawClient.frame(3, 0, 4242));
    await turns(200);
    expect(started).toBe(before); // not started while the bound holds

    for (const s of slow) s.close();
    expect(idOf(await fast.next(30_000))).toBe(4242);
    await until('the memory is given back', () => server!.unsentMemoryBytes === 0);
  });

  it('gives back every lease of responses a closed connection never sent', async () => {
    const path = join(tmp.dir, 'closed.log');
    const fd = openSync(path, 'w+');
    writeSync(fd, Buffer.alloc(MiB, 3));
    const file = new SharedFile(fd, path);
    const leasesBefore = sharedFileStats().leases;
    const port = await start({}, (req) => {
      const id = Buffer.alloc(4);
      id.writeInt32BE(req.correlationId);
      return { parts: [{ bytes: id, regions: [holdRegion({ file, position: 0, length: MiB })] }] };
    });
    const c = await client(port);
    c.socket.pause();
    c.send(Buffer.concat(Array.from({ length: 32 }, (_, i) => RawClient.frame(3, 0, i))));
    await until('a send waits for the reader', () => native.pendingCount() > 0 && server!.maxUnsentBytes > 0);
    c.close();
    await until('the leases are back', () => sharedFileStats().leases === leasesBefore && server!.maxUnsentBytes === 0);
    file.close();
    expect(file.open).toBe(false);
  });
});
