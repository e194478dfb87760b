// The RocketMQ endpoint under HTTP/2-level garbage on raw TCP sockets
// (h2-frames.ts), against `mqlab serve` in a child process: bad prefaces,
// seeded random frames after a good one, a HEADERS frame followed by a
// flood of CONTINUATION frames, thousands of streams opened and reset, and
// connections that never finish their preface. The server must close each
// such connection (or, for frames it may take, close it once the client
// has), keep answering a well-behaved client, log no error, and stay
// within 512 MiB. MQLAB_FUZZ_SEED reproduces the random frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { envCount, fuzzSeed, Prng } from './helpers/prng.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';
import { openChannel, unary } from './fuzz/grpc-calls.js';
import { FLAG, FRAME, frame, grpcHeaders, handshake, headerBlock, PREFACE, RawH2 } from './fuzz/h2-frames.js';

const SEED = fuzzSeed('MQLAB_FUZZ_SEED', 'RocketMQ HTTP/2 garbage');
const CONNECTIONS = envCount('MQLAB_FUZZ_H2_CONNECTIONS', 100);
const IDLE_MS = 2000;
const DEADLINE_MS = 20_000;

describe('the RocketMQ endpoint under HTTP/2 garbage', () => {
  const tmp = tempDir('mqlab-fuzz-h2-');
  let broker: ServeProcess;
  let port: number;
  let rssMax = 0;
  const sample = (): void => {
    if (!broker.exited) rssMax = Math.max(rssMax, broker.rssBytes());
  };
  /** A well-behaved client still served. */
  const served = async (): Promise<void> => {
    const c = openChannel(`127.0.0.1:${port}`);
    try {
      expect((await unary(c, 'QueryRoute', { topic: { name: 'h2' } })).status.code).toBe('OK');
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, ['--rocketmq-port', '0', '--set', `rocketmq.connections.max.idle.ms=${IDLE_MS}`]);
    port = broker.rocketmqPort!;
    const admin = await Admin.connect(`127.0.0.1:${broker.port}`);
    await admin.createTopic('h2', 1);
    admin.close();
  });
  afterAll(async () => {
    await broker?.kill();
    tmp.cleanup();
  });

  it('closes connections with a bad preface', async () => {
    const rng = new Prng(SEED);
    const prefaces = [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'), rng.bytes(24), rng.bytes(4096), Buffer.alloc(100_000, 0)];
    const conns = await Promise.all(prefaces.map(async (p) => {
      const h2 = await RawH2.open(port);
      h2.send(p);
      return h2;
    }));
    expect(await Promise.all(conns.map((c) => c.closedWithin(DEADLINE_MS)))).toEqual(prefaces.map(() => true));
    await served();
  });

  // A connection whose random frames opened a stream that waits for data was
  // kept by grpc-js after the client hung up (no end of input while a stream
  // is open, and no idle time either); the broker closes a connection whose
  // client has ended its side.
  it(`survives ${CONNECTIONS} connections of seeded random frames after a good preface, each half-closed by the client`, async () => {
    const rng = new Prng(SEED).fork();
    const held: RawH2[] = [];
    for (let n = 0; n < CONNECTIONS; n++) {
      const h2 = await RawH2.open(port);
      const parts = [handshake()];
      for (let i = rng.range(1, 20); i > 0; i--) {
        const type = rng.chance(0.8) ? rng.int(10) : rng.int(256);
        const stream = rng.pick([0, 1, 3, rng.int(100) * 2 + 1, rng.u32() & 0x7fffffff]);
        const payload = type === FRAME.HEADERS && rng.chance(0.5) ? grpcHeaders(rng.pick(['SendMessage', 'Heartbeat', 'Nope'])) : rng.bytes(rng.pick([0, 1, 4, 8, 9, 64, 1000]));
        parts.push(frame(type, rng.int(256), stream, payload));
      }
      // A lying length now and then: more bytes promised than sent.
      if (rng.chance(0.1)) parts.push(Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]));
      h2.send(Buffer.concat(parts));
      // The client hangs up its side: the server must close too (at once for a protocol error, at the end of input otherwise).
      h2.socket.end();
      held.push(h2);
      if (n % 50 === 0) sample();
    }
    const closed = await Promise.all(held.map((h) => h.closedWithin(5 * IDLE_MS)));
    console.log(`random frames: ${closed.filter(Boolean).length} of ${CONNECTIONS} connections closed by the broker`);
    expect(closed.filter((c) => !c).length).toBe(0);
    for (const h of held) h.socket.destroy();
    await served();
  });

  it('closes a connection that floods CONTINUATION frames after a HEADERS, within memory', async () => {
    const h2 = await RawH2.open(port);
    h2.send(handshake());
    h2.send(frame(FRAME.HEADERS, 0, 1, grpcHeaders('Heartbeat')));
    const chunk = frame(FRAME.CONTINUATION, 0, 1, headerBlock(Array.from({ length: 100 }, (_, i) => [`x-flood-${i}`, 'v'.repeat(150)])));
    let sent = 0;
    while (!h2.isClosed && sent < 256 * 1024 * 1024) {
      sent += chunk.length;
      if (!h2.send(chunk)) await new Promise<void>((resolve) => {
        h2.socket.once('drain', resolve);
        h2.socket.once('close', resolve);
      });
    }
    expect(await h2.closedWithin(DEADLINE_MS)).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    sample();
    await served();
  });

  it('survives thousands of streams opened and reset at once on one connection', async () => {
    const reset = await RawH2.open(port);
    reset.send(handshake());
    const parts: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = 1 + 2 * i;
      parts.push(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcHeaders('Heartbeat')), frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
    }
    reset.send(Buffer.concat(parts));
    // Node's HTTP/2 ends a connection that resets this many streams (the "rapid reset" defence); it may also finish first.
    reset.socket.end();
    expect(await reset.closedWithin(DEADLINE_MS)).toBe(true);
    sample();
    await served();
  });

  // grpc-js answered a call at its deadline but left the stream open while the client never ended
  // its side, so the connection never became idle: the broker resets such streams (grpc/call.ts expire).
  it('closes a connection whose 100 calls never send their request, once their deadlines pass', async () => {
    const held = await RawH2.open(port);
    held.send(handshake());
    // 100 streams (the default limit) that never send their request: each waits for data.
    for (let i = 0; i < 100; i++) held.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * i, grpcHeaders('SendMessage', [['grpc-timeout', '1S']])));
    // Their deadlines end them; the connection, idle then, is closed after the idle time.
    expect(await held.closedWithin(5 * IDLE_MS)).toBe(true);
    sample();
    await served();
  });

  it('closes connections that never finish their preface (slow loris) after the idle time', async () => {
    const slow = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const h2 = await RawH2.open(port);
      h2.send(PREFACE.subarray(0, i % PREFACE.length));
      return h2;
    }));
    expect(await Promise.all(slow.map((h) => h.closedWithin(5 * IDLE_MS)))).toEqual(slow.map(() => true));
    await served();
  });

  it('ends as it began: serving, within 512 MiB, saying nothing unexpected', () => {
    sample();
    console.log(`seed ${SEED}: broker RSS max sampled ${(rssMax / 1048576).toFixed(1)} MiB, high-water mark ${(broker.peakRssBytes() / 1048576).toFixed(1)} MiB`);
    expect(broker.exited).toBe(false);
    expect(broker.peakRssBytes()).toBeLessThan(512 * 1024 * 1024);
    expect(broker.errorLines).toEqual([]);
    expect(broker.strayLines).toEqual([]);
  });
});
