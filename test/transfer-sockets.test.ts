// How transfers behave on real loopback sockets: slow readers, peers that
// go away, many sockets at once, a strategy swap under load, fds closed by
// JavaScript while a send waits.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServerCerts } from '../src/lab/certs.js';
import { native, STRATEGY_NAMES } from '../src/native/addon.js';
import { LiveTransfer, resetTransferCounters, SharedFile, strategyByName, transferCounters } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';
import { PairFactory, readExactly } from './helpers/sockets.js';
import { until } from './helpers/until.js';

const pairs = new PairFactory();
const tmp = tempDir();
const data = randomBytes(8 * 1024 * 1024);
let fd = -1;
let file: SharedFile;

beforeAll(async () => {
  await pairs.start();
  fd = openSync(join(tmp.dir, 'data.log'), 'w+');
  writeSync(fd, data, 0, data.length, 0);
  file = new SharedFile(fd, 'data.log');
});

afterAll(async () => {
  await pairs.stop();
  file.close();
  tmp.cleanup();
});

describe.each(STRATEGY_NAMES)('strategy %s', (name) => {
  const strategy = strategyByName(name);

  it('waits for a slow reader without blocking the event loop', async () => {
    const { sender, receiver } = await pairs.pair();
    receiver.pause();
    resetTransferCounters();
    let settled = false;
    const sending = strategy.send(sender, Buffer.from('HDR'), [{ file, position: 0, length: data.length }]).then(() => {
      settled = true;
    });
    // The socket buffers cannot hold 8 MiB: the addon wrote what fitted and
    // returned, and the send waits for the socket (it counts that before it returns).
    expect(transferCounters()[name].sendsDeferred).toBe(1);
    expect(native.pendingCount()).toBe(1);
    // The event loop keeps running meanwhile (a send that held it would never
    // end, its reader being paused): a timer fires, and the send still waits.
    await new Promise((r) => setTimeout(r, 1));
    expect(settled).toBe(false);
    expect(native.pendingCount()).toBe(1);
    // Read in the bites the socket gives; the sender fills the buffers again
    // between them (how often it must wait depends on how far the kernel has
    // grown the loopback buffers by then: once or more).
    const chunks: Buffer[] = [];
    let got = 0;
    // (read() with no size: read(n) returns null while fewer than n bytes
    // are buffered, yet 'readable' fires again at once, spinning forever.)
    while (got < data.length + 3) {
      const chunk = receiver.read() as Buffer | null;
      if (chunk === null) {
        await new Promise((r) => receiver.once('readable', r));
        continue;
      }
      chunks.push(chunk);
      got += chunk.length;
    }
    await sending;
    const all = Buffer.concat(chunks);
    expect(all.subarray(0, 3).toString()).toBe('HDR');
    expect(all.subarray(3).equals(data)).toBe(true);
    expect(transferCounters()[name].writableWaits).toBeGreaterThanOrEqual(1);
    expect(native.pendingCount()).toBe(0);
    sender.destroy();
  });

  it('rejects, without crashing, when the peer closes mid-send', async () => {
    const { sender, receiver } = await pairs.pair();
    // The reset also reaches the sender's own reads: expected here, not an unhandled error.
    sender.on('error', () => undefined);
    receiver.pause();
    const sending = strategy.send(sender, null, [{ file, position: 0, length: data.length }]);
    await until('the send waits for the reader', () => native.pendingCount() > 0);
    receiver.resetAndDestroy(); // RST: the sender's next write fails
    const err = (await sending.then(() => null, (e: unknown) => e)) as NodeJS.ErrnoException | null;
    expect(err).not.toBeNull();
    expect(['EPIPE', 'ECONNRESET', 'ERR_SOCKET_CLOSED']).toContain(err!.code);
    expect(native.pendingCount()).toBe(0);
    // Later sends on that socket fail cleanly too.
    await expect(strategy.send(sender, Buffer.from('x'), [])).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
  });

  it('rejects queued sends when the socket is destroyed locally', async () => {
    const { sender, receiver } = await pairs.pair();
    receiver.pause();
    const first = strategy.send(sender, null, [{ file, position: 0, length: data.length }]);
    const second = strategy.send(sender, Buffer.from('never'), []);
    await until('the send waits for the reader', () => native.pendingCount() > 0);
    sender.destroy();
    await expect(first).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    await expect(second).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    expect(native.pendingCount()).toBe(0);
  });

  it('reads the original file even if JavaScript closes its fd mid-send', async () => {
    const own = openSync(join(tmp.dir, `own-${name}.log`), 'w+');
    writeSync(own, data, 0, data.length, 0);
    const { sender, receiver } = await pairs.pair();
    receiver.pause();
    const sending = strategy.send(sender, null, [{ file: new SharedFile(own, 'own.log'), position: 0, length: data.length }]);
    await until('the send waits for the reader', () => native.pendingCount() > 0);
    closeSync(own);
    // The fd number is free now; the next open takes it, with other bytes.
    const impostor = openSync(join(tmp.dir, `impostor-${name}.log`), 'w+');
    writeSync(impostor, Buffer.alloc(data.length, 0xee), 0, data.length, 0);
    const got = await Promise.all([readExactly(receiver, data.length), sending]);
    expect(got[0].equals(data)).toBe(true);
    closeSync(impostor);
    sender.destroy();
  });

  it('keeps order with bytes written through Node first', async () => {
    const { sender, receiver } = await pairs.pair();
    const got = readExactly(receiver, 6 + 1000);
    sender.write('node:');
    sender.write('!');
    await strategy.send(sender, null, [{ file, position: 0, length: 1000 }]);
    const bytes = await got;
    expect(bytes.subarray(0, 6).toString()).toBe('node:!');
    expect(bytes.subarray(6).equals(data.subarray(0, 1000))).toBe(true);
    sender.destroy();
  });
});

describe('many sockets', () => {
  it('serves 200 sockets at once, each its own bytes, in order', async () => {
    const all = await Promise.all(Array.from({ length: 200 }, () => pairs.pair()));
    const sizes = 3;
    const work = all.map(({ sender, receiver }, i) => {
      const strategy = strategyByName(STRATEGY_NAMES[i % 3]!);
      const parts = Array.from({ length: sizes }, (_, k) => ({
        header: Buffer.from(`socket ${i} part ${k};`),
        region: { file, position: (i * 7919 + k * 104729) % (data.length - 300_000), length: 100_000 + k * 50_000 },
      }));
      const want = Buffer.concat(parts.flatMap((p) => [p.header, data.subarray(p.region.position, p.region.position + p.region.length)]));
      const got = readExactly(receiver, want.length);
      const sent = parts.map((p) => strategy.send(sender, p.header, [p.region]));
      return Promise.all([got, ...sent]).then(([bytes]) => (bytes as Buffer).equals(want));
    });
    expect((await Promise.all(work)).every(Boolean)).toBe(true);
    for (const p of all) p.sender.destroy();
  });
});

describe('live swap', () => {
  it('swaps strategy during traffic with no failed send and exact bytes', async () => {
    const live = new LiveTransfer('sendfile');
    resetTransferCounters();
    const sockets = await Promise.all(Array.from({ length: 4 }, () => pairs.pair()));
    let swaps = 0;
    const swapper = setInterval(() => {
      live.set(STRATEGY_NAMES[++swaps % 3]!);
    }, 3);
    const sendsPerSocket = 150;
    const results = await Promise.all(
      sockets.map(async ({ sender, receiver }, i) => {
        const regions = Array.from({ length: sendsPerSocket }, (_, k) => ({
          file,
          position: ((i + 1) * k * 65_537) % (data.length - 262_144),
          length: 262_144,
        }));
        const want = Buffer.concat(regions.map((r) => data.subarray(r.position, r.position + r.length)));
        const got = readExactly(receiver, want.length);
        for (const r of regions) await live.send(sender, null, [r]);
        return (await got).equals(want);
      }),
    );
    clearInterval(swapper);
    expect(results.every(Boolean)).toBe(true);
    expect(swaps).toBeGreaterThan(3);
    const c = transferCounters();
    const total = STRATEGY_NAMES.reduce((n, s) => n + c[s].sends, 0);
    expect(total).toBe(4 * sendsPerSocket);
    for (const s of STRATEGY_NAMES) {
      expect(c[s].sendsFailed).toBe(0);
      expect(c[s].sends).toBeGreaterThan(0);
    }
    expect(() => live.set('zerocopy')).toThrow(/unknown transfer strategy/);
  });
});

describe('a TLS socket', () => {
  it('is refused by every strategy: its handle reports the TCP descriptor beneath, where bytes would go out unencrypted', async () => {
    const certs = tempDir('mqlab-transfer-tls-');
    const c = makeServerCerts(certs.dir);
    const store = readFileSync(c.serverStore);
    const accepted: TLSSocket[] = [];
    const server = createTlsServer({ key: store, cert: store }, (s) => accepted.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = tlsConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', ca: readFileSync(c.caPem), servername: 'localhost' });
    client.on('error', () => undefined);
    try {
      await once(client, 'secureConnect');
      await until('the server has the connection', () => accepted.length === 1);
      const sender = accepted[0]!;
      // What the check is for: the descriptor is there to be written to.
      expect(typeof (sender as unknown as { _handle: { fd: number } })._handle.fd).toBe('number');
      for (const name of STRATEGY_NAMES) {
        await expect(strategyByName(name).send(sender, Buffer.from('plaintext'), [])).rejects.toThrow('plain TCP socket');
      }
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certs.cleanup();
    }
  });
});
