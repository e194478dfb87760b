// The load tools' HTTP/2 client connection (src/client/load/h2-client.ts)
// against node:http2's server (nghttp2, strict about flow control): with a
// 16 KiB stream window, a 64 KiB connection window and two streams at once,
// requests of 200 KiB and answers of 6 MiB (past the client's own stream
// window; together past its connection window) all come through whole, so
// the client keeps to the server's windows and stream limit and gives its
// own windows back as it reads.
import { createHash } from 'node:crypto';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledCall, H2ClientConnection } from '../src/client/load/h2-client.js';
import { FLAG, FRAME, frame, headerBlock } from './fuzz/h2-frames.js';

const REQUEST = { fields: [[':method', 'POST'], [':scheme', 'http'], [':path', '/echo'], [':authority', 'test'], ['content-type', 'application/grpc'], ['te', 'trailers']] as Array<[string, string]> };

describe('H2ClientConnection', () => {
  let server: Http2Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('cancels the calls made with a tag, in flight (the server sees the reset) or waiting for a stream, and only those', async () => {
    const held: Array<{ stream: ServerHttp2Stream; code: Promise<number> }> = [];
    let bothArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (bothArrived = resolve));
    server = createServer({ settings: { maxConcurrentStreams: 2 } });
    server.on('stream', (stream) => {
      // Held unanswered, as a long poll is; a client's reset closes the stream with its code.
      held.push({ stream, code: new Promise((resolve) => stream.on('close', () => resolve(stream.rstCode))) });
      if (held.length === 2) bothArrived();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const c = await H2ClientConnection.connect('127.0.0.1', (server.address() as AddressInfo).port);
    try {
      const tag = {};
      const untagged = c.exchange(REQUEST, Buffer.from('kept'), Date.now() + 10_000);
      // Two streams at once: the first tagged call is in flight, the second waits for a stream.
      const tagged = [c.exchange(REQUEST, Buffer.from('a'), Date.now() + 10_000, null, tag), c.exchange(REQUEST, Buffer.from('b'), Date.now() + 10_000, null, tag)];
      await arrived;
      c.cancel(tag);
      for (const t of tagged) await expect(t).rejects.toBeInstanceOf(CancelledCall);
      expect(await held[1]!.code).toBe(8); // CANCEL
      const kept = held[0]!.stream;
      kept.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      kept.once('wantTrailers', () => kept.sendTrailers({ 'grpc-status': '0' }));
      kept.end(Buffer.from('answer'));
      expect(Buffer.concat((await untagged).data).toString()).toBe('answer');
      // The waiting call never reached the server.
      expect(held.length).toBe(2);
    } finally {
      c.close();
    }
  });

  it('keeps to a strict server\'s windows and stream limit, and gives its own back', async () => {
    let atOnce = 0;
    let most = 0;
    server = createServer({ settings: { initialWindowSize: 16_384, maxConcurrentStreams: 2 } });
    server.on('stream', (stream) => {
      most = Math.max(most, ++atOnce);
      const hash = createHash('sha256');
      let bytes = 0;
      stream.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      stream.on('end', () => {
        // The answer: the request's digest, then 6 MiB (the request's length says which byte).
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'done' }));
        stream.write(hash.digest());
        stream.end(Buffer.alloc(6 * 1024 * 1024, bytes & 0xff));
      });
      stream.on('close', () => atOnce--);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const c = await H2ClientConnection.connect('127.0.0.1', (server.address() as AddressInfo).port);
    try {
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(200 * 1024 + i, 65 + i));
      const answers = await Promise.all(bodies.map((b) => c.exchange(REQUEST, b, Date.now() + 10_000)));
      answers.forEach((a, i) => {
        const data = Buffer.concat(a.data);
        expect(a.reset).toBeNull();
        expect(a.fields.filter(([n]) => n.startsWith('grpc-'))).toEqual([['grpc-status', '0'], ['grpc-message', 'done']]);
        expect(data.subarray(0, 32).equals(createHash('sha256').update(bodies[i]!).digest()), `answer ${i}`).toBe(true);
        expect([data.length - 32, data.subarray(32).every((x) => x === (bodies[i]!.length & 0xff))]).toEqual([6 * 1024 * 1024, true]);
      });
      expect(most).toBe(2);
    } finally {
      c.close();
    }
  });

  it('fails the calls in flight when the server drops the connection', async () => {
    server = createServer();
    server.on('stream', (stream) => stream.session?.destroy());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const c = await H2ClientConnection.connect('127.0.0.1', (server.address() as AddressInfo).port);
    await expect(c.exchange(REQUEST, Buffer.from('x'), Date.now() + 30_000)).rejects.toThrow(/closed|went away/);
    await expect(c.exchange(REQUEST, Buffer.from('x'), Date.now() + 30_000)).rejects.toThrow();
  });

  it('refuses an answer whose header list decodes past its limit (a small block indexing one large field), and the connection serves on', async () => {
    // A raw server: its first answer's block adds a 4,000-byte field to the
    // table and names it 300 times (about 1.2 MB decoded from 5 KB); the
    // second answer is an ordinary one.
    const raw: Server = createNetServer((socket: Socket) => {
      let answered = 0;
      let seen = Buffer.alloc(0);
      socket.write(frame(FRAME.SETTINGS, 0, 0));
      socket.on('data', (d: Buffer) => {
        seen = Buffer.concat([seen, d]);
        // Each request's HEADERS frame (the client's odd streams) gets its answer.
        for (let at = 24; at + 9 <= seen.length; ) {
          const length = seen.readUIntBE(at, 3);
          if (at + 9 + length > seen.length) break;
          const type = seen[at + 3]!;
          const id = seen.readUInt32BE(at + 5) & 0x7fffffff;
          if (type === FRAME.HEADERS && id > answered) {
            answered = id;
            if (id === 1) {
              const big = Buffer.concat([Buffer.from([0x40, 5]), Buffer.from('x-big'), Buffer.from([0x7f, 0xa1, 0x1e]), Buffer.alloc(4000, 97), Buffer.alloc(300, 0x80 | 62)]);
              socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, Buffer.concat([headerBlock([[':status', '200']]), big])));
            } else {
              socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, headerBlock([[':status', '200'], ['content-type', 'application/grpc']])));
              socket.write(frame(FRAME.DATA, 0, id, Buffer.from('ok')));
              socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, headerBlock([['grpc-status', '0']])));
            }
          }
          at += 9 + length;
        }
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const c = await H2ClientConnection.connect('127.0.0.1', (raw.address() as AddressInfo).port);
    try {
      await expect(c.exchange(REQUEST, Buffer.from('x'), Date.now() + 10_000)).rejects.toThrow(/header list on stream 1 is larger than 1048576 bytes/);
      const next = await c.exchange(REQUEST, Buffer.from('y'), Date.now() + 10_000);
      expect([Buffer.concat(next.data).toString(), next.fields.find(([n]) => n === 'grpc-status')?.[1]]).toEqual(['ok', '0']);
    } finally {
      c.close();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('gives a waiting call the stream of one its deadline ended, and fails a call that waits past its own', async () => {
    server = createServer({ settings: { maxConcurrentStreams: 1 } });
    server.on('stream', (stream, headers) => {
      if (headers[':path'] === '/stall') return; // never answered
      stream.on('data', () => undefined);
      stream.on('end', () => {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end('ok');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const c = await H2ClientConnection.connect('127.0.0.1', (server.address() as AddressInfo).port);
    try {
      const stall = { fields: REQUEST.fields.map(([n, v]) => [n, n === ':path' ? '/stall' : v]) as Array<[string, string]> };
      const stalled = c.exchange(stall, Buffer.from('x'), Date.now() + 500);
      const tooLate = c.exchange(REQUEST, Buffer.from('y'), Date.now() + 200);
      const waiting = c.exchange(REQUEST, Buffer.from('z'), Date.now() + 20_000);
      await expect(stalled).rejects.toThrow(/by its deadline/);
      await expect(tooLate).rejects.toThrow(/no stream came free/);
      const answer = await waiting;
      expect(Buffer.concat(answer.data).toString()).toBe('ok');
    } finally {
      c.close();
    }
  });
});
