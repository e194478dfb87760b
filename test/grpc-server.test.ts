// mqlab's own gRPC server on its own HTTP/2 (src/protocol/grpc,
// src/protocol/http2), on 127.0.0.1 with a small echo service: grpc-js's
// client (on node:http2, an independent HTTP/2) for calls of every kind,
// compression, flow control and deadlines; raw frames for what no client
// library sends (CONTINUATION, padding, PING, streams past the limit,
// protocol errors).
import * as grpc from '@grpc/grpc-js';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeServerCerts } from '../src/lab/certs.js';
import { seededRandom } from '../src/lab/random.js';
import { tempDir } from './helpers/files.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerCall } from '../src/protocol/grpc/call.js';
import { GrpcServer, MAX_FRAME_BYTES, MAX_HEADER_LIST_BYTES, type Handler } from '../src/protocol/grpc/server.js';
import { HpackDecoder } from '../src/protocol/http2/hpack.js';
import { FLAG, FRAME, frame, grpcMessage, grpcMessagesOf as messagesOf, handshake, headerBlock, PREFACE as PREFACE_BYTES, RawH2, windowUpdate, type Frame } from './fuzz/h2-frames.js';
import { callRaw, openChannel } from './fuzz/grpc-calls.js';

const MAX_REQUEST = 2 * 1024 * 1024;
const MAX_STREAMS = 8;
const identity = (b: unknown): Buffer => b as Buffer;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({ path: `/test.Echo/${name}`, requestStream, responseStream, requestDeserialize: identity, responseSerialize: identity });

/** The first 4 bytes of a request: how many bytes the answer has (else it echoes the request). */
function answerTo(req: Buffer): Buffer {
  return req.length === 4 ? Buffer.alloc(req.readUInt32BE(0), 7) : req;
}

describe('gRPC server on mqlab\'s own HTTP/2', () => {
  let server: GrpcServer;
  let port: number;
  const cancelled: string[] = [];
  /** Slow calls wait here until the test answers them. */
  const slow: Array<() => void> = [];
  const events: string[] = [];

  beforeAll(async () => {
    server = new GrpcServer({ maxRequestBytes: MAX_REQUEST, maxConcurrentStreams: MAX_STREAMS, maxConnections: 50, idleMs: 30_000, maxQueuedBytes: 8 * 1024 * 1024 });
    const handlers: Record<string, Handler> = {
      Unary: (call: ServerCall, cb: (err: null, v: Buffer) => void) => cb(null, answerTo(call.request as Buffer)),
      // Answers `count` messages of `size` bytes (two uint32s in the request).
      Stream: (call: ServerCall) => {
        const req = call.request as Buffer;
        for (let i = 0; i < req.readUInt32BE(0); i++) call.write(Buffer.alloc(req.readUInt32BE(4), i % 256));
        call.end();
      },
      Bidi: (call: ServerCall) => {
        call.on('data', (m: Buffer) => call.write(m));
        call.on('end', () => call.end());
      },
      Slow: (call: ServerCall, cb: (err: null, v: Buffer) => void) => {
        slow.push(() => cb(null, call.request as Buffer));
      },
      Events: (call: ServerCall, cb: (err: null, v: Buffer) => void) => {
        for (const e of ['finish', 'close', 'cancelled']) call.once(e, () => events.push(e));
        cb(null, Buffer.from('ok'));
      },
      // Answers what the call's metadata gives for a few names.
      Metadata: (call: ServerCall, cb: (err: null, v: Buffer) => void) => {
        const seen = Object.fromEntries(['x-multi', 'x-data-bin', 'content-type', ':path', 'user-agent', 'absent'].map((n) => [n, call.metadata.get(n).map((v) => (Buffer.isBuffer(v) ? `bytes:${v.toString('hex')}` : v))]));
        cb(null, Buffer.from(JSON.stringify(seen)));
      },
      // Never answers: the deadline does.
      Hang: (call: ServerCall) => {
        call.on('cancelled', () => cancelled.push(String(call.metadata.get('x-id')[0])));
      },
    };
    server.addService({ Unary: method('Unary', false, false), Stream: method('Stream', false, true), Bidi: method('Bidi', true, true), Hang: method('Hang', false, true), Slow: method('Slow', false, false), Events: method('Events', false, false), Metadata: method('Metadata', false, false) }, handlers);
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close(1000);
  });

  const target = (): string => `127.0.0.1:${port}`;
  const u32 = (...n: number[]): Buffer => {
    const b = Buffer.alloc(4 * n.length);
    n.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
    return b;
  };

  it('serves unary, server-streaming and bidirectional calls to grpc-js, answers larger than every window included', async () => {
    const c = openChannel(target());
    try {
      const small = await callRaw(c, '/test.Echo/Unary', 'unary', [Buffer.from('hello')], null, 10_000);
      expect([small.code, small.responses[0]!.toString()]).toEqual([grpc.status.OK, 'hello']);
      // 3 MiB: past node's 64 KiB stream window and the connection's; it goes as WINDOW_UPDATEs come.
      const big = await callRaw(c, '/test.Echo/Unary', 'unary', [u32(3 * 1024 * 1024)], null, 10_000);
      expect(big.code).toBe(grpc.status.OK);
      expect(big.responses[0]!.length).toBe(3 * 1024 * 1024);
      const stream = await callRaw(c, '/test.Echo/Stream', 'serverStream', [u32(300, 10_000)], null, 10_000);
      expect(stream.code).toBe(grpc.status.OK);
      expect(stream.responses.map((r) => r.length)).toEqual(Array(300).fill(10_000));
      expect(stream.responses.map((r) => r[0])).toEqual(Array.from({ length: 300 }, (_, i) => i % 256));
      const msgs = Array.from({ length: 50 }, (_, i) => Buffer.from(`m${i}`));
      const bidi = await callRaw(c, '/test.Echo/Bidi', 'bidi', msgs, null, 10_000);
      expect([bidi.code, bidi.responses.map(String)]).toEqual([grpc.status.OK, msgs.map(String)]);
    } finally {
      c.close();
    }
  });

  it('gives a call its metadata: every value of a name in order, -bin values as bytes, none for gRPC\'s and HTTP\'s own headers', async () => {
    const c = openChannel(target());
    try {
      const md = new grpc.Metadata();
      md.add('x-multi', 'a');
      md.add('x-multi', 'b');
      md.set('x-data-bin', Buffer.from([0, 1, 2, 255]));
      const seen = await new Promise<Record<string, string[]>>((resolve, reject) => c.makeUnaryRequest('/test.Echo/Metadata', identity, identity, Buffer.from('x'), md, (err, v) => (err ? reject(err) : resolve(JSON.parse(String(v))))));
      expect(seen).toEqual({ 'x-multi': ['a', 'b'], 'x-data-bin': ['bytes:000102ff'], 'content-type': [], ':path': [], 'user-agent': [], absent: [] });
    } finally {
      c.close();
    }
  });

  it('takes gzip-compressed requests, and many calls at once on one connection past its stream limit (the client queues them)', async () => {
    const c = openChannel(target(), true);
    try {
      const calls = await Promise.all(Array.from({ length: 100 }, (_, i) => callRaw(c, '/test.Echo/Unary', 'unary', [Buffer.alloc(1000 + i, i)], null, 10_000)));
      expect(calls.map((r) => r.code)).toEqual(Array(100).fill(grpc.status.OK));
      expect(calls.map((r) => r.responses[0]!.length)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
    } finally {
      c.close();
    }
  });

  it('writes what the socket has no room for after what it took, in order: a 6 MiB answer in one turn arrives whole', async () => {
    // Windows as large as HTTP/2 allows: only the socket holds the answer
    // back. The handler writes it all at once, so one flush has it: far
    // more than a loopback socket takes, the direct write is cut short
    // somewhere inside a buffer and the stream writes the rest.
    const raw = await RawH2.open(port);
    try {
      const settings = Buffer.alloc(6);
      settings.writeUInt16BE(0x4, 0); // SETTINGS_INITIAL_WINDOW_SIZE
      settings.writeUInt32BE(2 ** 31 - 1, 2);
      raw.send(Buffer.concat([PREFACE_BYTES, frame(FRAME.SETTINGS, 0, 0, settings), frame(FRAME.SETTINGS, FLAG.ACK, 0), windowUpdate(0, 2 ** 31 - 1 - 65_535)]));
      const count = 96;
      const size = 65_536;
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Stream'))));
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(u32(count, size))));
      expect(await raw.until((f) => ended(f, 1), 20_000)).toBe(true);
      const messages = messagesOf(raw.frames, 1);
      expect(messages.map((m) => m.length)).toEqual(Array(count).fill(size));
      expect(messages.every((m, i) => m.every((b) => b === i % 256))).toBe(true);
      expect(raw.isClosed).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('answers what it cannot serve with a gRPC status, and the connection goes on', async () => {
    const c = openChannel(target());
    try {
      const unknown = await callRaw(c, '/test.Echo/Nope', 'unary', [Buffer.from('x')], null, 10_000);
      expect(unknown.code).toBe(grpc.status.UNIMPLEMENTED);
      const over = await callRaw(c, '/test.Echo/Unary', 'unary', [Buffer.alloc(MAX_REQUEST + 1)], null, 10_000);
      expect(over.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(over.details).toBe(`Received message larger than max (${MAX_REQUEST + 1} vs ${MAX_REQUEST})`);
      const md = new grpc.Metadata();
      md.set('x-big', 'v'.repeat(MAX_HEADER_LIST_BYTES));
      const headers = await new Promise<grpc.ServiceError | null>((resolve) => c.makeUnaryRequest('/test.Echo/Unary', identity, identity, Buffer.from('x'), md, (err) => resolve(err)));
      expect(headers?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const fine = await callRaw(c, '/test.Echo/Unary', 'unary', [Buffer.from('still here')], null, 10_000);
      expect(fine.responses[0]!.toString()).toBe('still here');
    } finally {
      c.close();
    }
  });

  it('keeps no call with a deadline once it is over, answered or cancelled', async () => {
    const c = openChannel(target());
    try {
      const answered = await Promise.all(Array.from({ length: 50 }, (_, i) => new Promise<Error | null>((resolve) => c.makeUnaryRequest('/test.Echo/Unary', identity, identity, Buffer.from(`m${i}`), new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => resolve(err)))));
      expect(answered.every((e) => e === null)).toBe(true);
      // A call its client resets while the server holds it (Hang never answers).
      const hung = c.makeServerStreamRequest('/test.Echo/Hang', identity, identity, Buffer.from('x'), new grpc.Metadata(), { deadline: Date.now() + 10_000 });
      hung.on('error', () => undefined);
      while (server.openStreams() === 0) await new Promise((r) => setImmediate(r));
      hung.cancel();
    } finally {
      c.close();
    }
    // What the deadline sweep walks every second: only the streams still open.
    const deadline = Date.now() + 5_000;
    while (server.openStreams() > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(server.openStreams()).toBe(0);
  });

  it('ends a call at its deadline with DEADLINE_EXCEEDED and tells its handler it was cancelled', async () => {
    const c = openChannel(target());
    try {
      const md = new grpc.Metadata();
      md.set('x-id', 'hang-1');
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = c.makeServerStreamRequest('/test.Echo/Hang', identity, identity, Buffer.from('x'), md, { deadline: Date.now() + 500 });
        call.on('status', resolve);
        call.on('error', () => undefined);
      });
      expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    } finally {
      c.close();
    }
    // The client gives up at its own deadline too; the server's sweep finds the call within a second of it.
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock([...request('Hang'), ['grpc-timeout', '300m'], ['x-id', 'hang-2']])));
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(Buffer.from('x'))));
      expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
      expect(statusOf(raw.frames, 1)).toBe('4');
    } finally {
      raw.destroy();
    }
    expect(cancelled).toContain('hang-2');
  });

  it('reads header blocks in CONTINUATION frames, padded DATA and HEADERS, answers PING, and refuses streams past its limit with REFUSED_STREAM', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      const block = headerBlock(request('Unary'));
      raw.send(frame(FRAME.HEADERS, 0, 1, block.subarray(0, 10)));
      raw.send(frame(FRAME.CONTINUATION, 0, 1, block.subarray(10, 30)));
      raw.send(frame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, block.subarray(30)));
      const padded = Buffer.concat([Buffer.from([3]), grpcMessage(Buffer.from('padded')), Buffer.alloc(3)]);
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM | FLAG.PADDED, 1, padded));
      raw.send(frame(FRAME.PING, 0, 0, Buffer.from('12345678')));
      expect(await raw.until((f) => ended(f, 1) && f.some((x) => x.type === FRAME.PING), 5000)).toBe(true);
      expect(messagesOf(raw.frames, 1).map(String)).toEqual(['padded']);
      expect(raw.frames.find((x) => x.type === FRAME.PING)!).toMatchObject({ flags: FLAG.ACK, payload: Buffer.from('12345678') });
      // MAX_STREAMS calls that wait (Hang, no deadline), then one more: refused, the connection goes on.
      for (let i = 0; i < MAX_STREAMS + 1; i++) {
        const id = 3 + 2 * i;
        raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.PADDED, id, Buffer.concat([Buffer.from([2]), headerBlock(request('Hang')), Buffer.alloc(2)])));
        raw.send(frame(FRAME.DATA, FLAG.END_STREAM, id, grpcMessage(Buffer.from('x'))));
      }
      const last = 3 + 2 * MAX_STREAMS;
      expect(await raw.until((f) => f.some((x) => x.type === FRAME.RST_STREAM && x.streamId === last), 5000)).toBe(true);
      expect(raw.frames.find((x) => x.type === FRAME.RST_STREAM && x.streamId === last)!.payload.readUInt32BE(0)).toBe(7);
      expect(raw.frames.filter((x) => x.type === FRAME.RST_STREAM)).toHaveLength(1);
      expect(raw.isClosed).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('closes a connection with GOAWAY on a protocol error: the others go on', async () => {
    const cases: Array<[string, Buffer, number]> = [
      ['a frame past the announced SETTINGS_MAX_FRAME_SIZE', frame(FRAME.DATA, 0, 1, Buffer.alloc(MAX_FRAME_BYTES + 1)), 6],
      ['SETTINGS on a stream', frame(FRAME.SETTINGS, 0, 1), 1],
      ['a header block that does not decode', frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 9],
      ['CONTINUATION without HEADERS', frame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, Buffer.alloc(4)), 1],
      ['a WINDOW_UPDATE of 0 on the connection', frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.alloc(4)), 1],
      ['DATA on a stream never opened', frame(FRAME.DATA, 0, 5, Buffer.alloc(4)), 1],
      // Found by test/fuzz-rocketmq-h2.test.ts: read past the frame, it took the broker down.
      ['HEADERS with PRIORITY shorter than its fields', frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.PRIORITY, 1, Buffer.alloc(3)), 6],
    ];
    for (const [what, bad, code] of cases) {
      const raw = await RawH2.open(port);
      raw.send(handshake());
      raw.send(bad);
      expect(await raw.closedWithin(5000), what).toBe(true);
      const goAway = raw.frames.find((f) => f.type === FRAME.GOAWAY);
      expect(goAway?.payload.readUInt32BE(4), what).toBe(code);
    }
    const c = openChannel(target());
    try {
      expect((await callRaw(c, '/test.Echo/Unary', 'unary', [Buffer.from('ok')], null, 10_000)).code).toBe(grpc.status.OK);
    } finally {
      c.close();
    }
  });

  it('refuses a malformed request (RFC 9113 §8.2) with RST_STREAM PROTOCOL_ERROR, and sends the table size update a client with a smaller HPACK table needs', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, headerBlock([...request('Unary'), ['X-Upper', 'v']])));
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, headerBlock([...request('Unary'), ['connection', 'close']])));
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 5, headerBlock(request('Unary'))));
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 5, grpcMessage(Buffer.from('fine!'))));
      expect(await raw.until((f) => ended(f, 5), 5000)).toBe(true);
      expect(raw.frames.filter((f) => f.type === FRAME.RST_STREAM).map((f) => [f.streamId, f.payload.readUInt32BE(0)])).toEqual([[1, 1], [3, 1]]);
      expect(messagesOf(raw.frames, 5).map(String)).toEqual(['fine!']);
    } finally {
      raw.destroy();
    }
    // node:http2 with a header table of 0 refuses a response block that does not start with the update (COMPRESSION_ERROR).
    const session = h2connect(`http://127.0.0.1:${port}`, { settings: { headerTableSize: 0 } });
    try {
      const answers = await Promise.all([1, 2].map((i) => new Promise<{ status: unknown; body: Buffer }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
        const chunks: Buffer[] = [];
        let status: unknown;
        req.on('trailers', (t) => (status = t['grpc-status']));
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
        req.on('error', reject);
        req.end(grpcMessage(Buffer.from(`t${i}`)));
      })));
      expect(answers.map((a) => [a.status, a.body.subarray(5).toString()])).toEqual([['0', 't1'], ['0', 't2']]);
    } finally {
      session.close();
    }
  });

  it('emits finish before close, and no cancelled, for a call answered in full', async () => {
    const c = openChannel(target());
    try {
      expect((await callRaw(c, '/test.Echo/Events', 'unary', [Buffer.from('x')], null, 10_000)).code).toBe(grpc.status.OK);
    } finally {
      c.close();
    }
    expect(events).toEqual(['finish', 'close']);
  });

  it('reassembles a stream\'s messages whatever DATA frames cut them (in place once half is there, or from parts; frames written alone or several to a write)', async () => {
    const seed = 20261203;
    console.log(`seed ${seed}`);
    const random = seededRandom(seed, 'h2-frames').next;
    // Under the stream's 1 MiB window, which a raw client has to keep to.
    const msgs = Array.from({ length: 30 }, (_, i) => Buffer.from(Array.from({ length: Math.floor(random() * 2 * 16_384) }, (_, j) => (i + j * 13) & 255)));
    const bytes = Buffer.concat(msgs.map((m) => grpcMessage(m)));
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Bidi'))));
      // Windows wide open: the echoes are sent as they come.
      raw.send(Buffer.concat([windowUpdate(0, 0x1000_0000), windowUpdate(1, 0x1000_0000)]));
      // Frames written one by one, or several in one write (the server then reads a message's frames together).
      let pending: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(bytes.length - at, 1 + Math.floor(random() * MAX_FRAME_BYTES));
        pending.push(frame(FRAME.DATA, at + n === bytes.length ? FLAG.END_STREAM : 0, 1, bytes.subarray(at, at + n)));
        at += n;
        if (at === bytes.length || random() < 0.5) {
          raw.send(Buffer.concat(pending));
          pending = [];
        }
      }
      expect(await raw.until((f) => ended(f, 1), 10_000)).toBe(true);
      expect(statusOf(raw.frames, 1), `seed ${seed}`).toBe('0');
      expect(messagesOf(raw.frames, 1), `seed ${seed}`).toEqual(msgs);
    } finally {
      raw.destroy();
    }
  });

  it('announces SETTINGS_MAX_FRAME_SIZE and takes a message in one frame of that size, however the writes cut it', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      expect(await raw.until((f) => f.some((x) => x.type === FRAME.SETTINGS && x.flags === 0), 5000)).toBe(true);
      const settings = raw.frames.find((x) => x.type === FRAME.SETTINGS && x.flags === 0)!.payload;
      const announced = new Map<number, number>();
      for (let at = 0; at + 6 <= settings.length; at += 6) announced.set(settings.readUInt16BE(at), settings.readUInt32BE(at + 2));
      expect(announced.get(5 /* SETTINGS_MAX_FRAME_SIZE */)).toBe(MAX_FRAME_BYTES);
      const msg = Buffer.from(Array.from({ length: MAX_FRAME_BYTES - 5 }, (_, j) => (j * 7) & 255));
      const data = frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(msg));
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Unary'))));
      raw.send(Buffer.concat([windowUpdate(0, 0x1000_0000), windowUpdate(1, 0x1000_0000)]));
      // Header, then the frame in three writes: the server's reads end inside it.
      for (const [from, to] of [[0, 4], [4, 30_000], [30_000, data.length]] as const) raw.send(data.subarray(from, to));
      expect(await raw.until((f) => ended(f, 1), 10_000)).toBe(true);
      expect(statusOf(raw.frames, 1)).toBe('0');
      expect(messagesOf(raw.frames, 1)).toEqual([msg]);
    } finally {
      raw.destroy();
    }
  });

  it('gives a stream\'s window back once half of it has come (WINDOW_UPDATE), and none after its client ended it', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Bidi'))));
      // Windows wide open for the echoes.
      raw.send(Buffer.concat([windowUpdate(0, 0x1000_0000), windowUpdate(1, 0x1000_0000)]));
      // A message of 600,000 bytes in frames of 60,000: past half the 1 MiB stream window once (540,000 given back).
      const send = (size: number, fill: number, end: boolean): void => {
        const bytes = grpcMessage(Buffer.alloc(size - 5, fill));
        for (let at = 0; at < bytes.length; at += 60_000) raw.send(frame(FRAME.DATA, end && at + 60_000 >= bytes.length ? FLAG.END_STREAM : 0, 1, bytes.subarray(at, at + 60_000)));
      };
      send(600_000, 3, false);
      const updates = (id: number): number[] => raw.frames.filter((f) => f.type === FRAME.WINDOW_UPDATE && f.streamId === id).map((f) => f.payload.readUInt32BE(0));
      expect(await raw.until(() => updates(1).length > 0, 5000)).toBe(true);
      expect(updates(1)).toEqual([540_000]);
      // 60,000 are owed now; seven more frames leave them short of half, and the
      // eighth, ending the stream, would pass it: none is given back for that.
      send(480_000, 4, true);
      expect(await raw.until((f) => ended(f, 1), 10_000)).toBe(true);
      expect(updates(1)).toEqual([540_000]);
    } finally {
      raw.destroy();
    }
  });

  it('answers a request that is not gRPC with an HTTP status', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, headerBlock([[':method', 'POST'], [':scheme', 'http'], [':path', '/test.Echo/Unary'], [':authority', 'x'], ['content-type', 'text/plain']])));
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 3, headerBlock([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']])));
      expect(await raw.until((f) => ended(f, 1) && ended(f, 3), 5000)).toBe(true);
      expect(headersOf(raw.frames, 1)[':status']).toBe('415');
      expect(headersOf(raw.frames, 3)[':status']).toBe('405');
    } finally {
      raw.destroy();
    }
  });
});

describe('gRPC server limits a client cannot get around', () => {
  const MAX = 64 * 1024;
  let server: GrpcServer;
  let port: number;
  const released: Array<() => void> = [];
  beforeAll(async () => {
    server = new GrpcServer({ maxRequestBytes: MAX, maxConcurrentStreams: 6, maxConnections: 50, idleMs: 30_000, maxQueuedBytes: 1024 * 1024 });
    server.addService({ Unary: method('Unary', false, false), Stream: method('Stream', false, true), Slow: method('Slow', false, false) }, {
      Unary: (call: ServerCall, cb: (err: null, v: Buffer) => void) => cb(null, answerTo(call.request as Buffer)),
      Stream: (call: ServerCall) => {
        const req = call.request as Buffer;
        for (let i = 0; i < req.readUInt32BE(0); i++) call.write(Buffer.alloc(req.readUInt32BE(4), i % 256));
        call.end();
      },
      Slow: (call: ServerCall, cb: (err: null, v: Buffer) => void) => released.push(() => cb(null, Buffer.from('late'))),
    });
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close(1000);
  });

  const goAwayCode = (raw: RawH2): number | undefined => raw.frames.find((f) => f.type === FRAME.GOAWAY)?.payload.readUInt32BE(4);
  const prefix = (n: number): Buffer => {
    const b = Buffer.alloc(5);
    b.writeUInt32BE(n, 1);
    return b;
  };

  it('answers a second message on a unary call INTERNAL instead of keeping it', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Unary'))));
      for (let i = 0; i < 1000; i++) raw.send(frame(FRAME.DATA, 0, 1, grpcMessage(Buffer.from('again!'))));
      expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
      expect(statusOf(raw.frames, 1)).toBe('13');
      expect(raw.isClosed).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('closes a connection that floods empty CONTINUATION frames (ENHANCE_YOUR_CALM)', async () => {
    const raw = await RawH2.open(port);
    raw.send(handshake());
    raw.send(frame(FRAME.HEADERS, 0, 1, headerBlock(request('Unary')).subarray(0, 4)));
    raw.send(Buffer.concat(Array.from({ length: 10_000 }, () => frame(FRAME.CONTINUATION, 0, 1))));
    expect(await raw.closedWithin(5000)).toBe(true);
    expect(goAwayCode(raw)).toBe(11);
  });

  /**
   * Five unary calls each `partBytes` of the way through a message `whole`
   * (in DATA frames of 16,000 bytes): the fifth passes the connection's
   * budget for unfinished requests (4 × MAX) and ends RESOURCE_EXHAUSTED,
   * the others wait; the first one finished comes back whole.
   */
  const fifthPassesBudget = async (whole: Buffer, partBytes: number): Promise<void> => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      for (const id of [1, 3, 5, 7, 9]) {
        raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, headerBlock(request('Unary'))));
        for (let at = 0; at < partBytes; at += 16_000) raw.send(frame(FRAME.DATA, 0, id, Buffer.concat([at === 0 ? prefix(whole.length) : Buffer.alloc(0), whole.subarray(at, Math.min(partBytes, at + 16_000))])));
      }
      expect(await raw.until((f) => ended(f, 9), 5000)).toBe(true);
      expect(headersOf(raw.frames, 9)['grpc-message']).toMatch(/this connection's calls hold more than 262144 bytes of unfinished requests/);
      expect([1, 3, 5, 7].some((id) => ended(raw.frames, id))).toBe(false);
      // Finishing one frees its share: its message comes whole (its echo may pass the client's initial window).
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, whole.subarray(partBytes)));
      raw.send(Buffer.concat([windowUpdate(0, 65_536), windowUpdate(1, 65_536)]));
      expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
      expect(statusOf(raw.frames, 1)).toBe('0');
      expect(messagesOf(raw.frames, 1)).toEqual([whole]);
    } finally {
      raw.destroy();
    }
  };

  it('bounds unfinished requests per connection: the call that passes 4 × the request limit ends RESOURCE_EXHAUSTED', async () => {
    // Each three quarters of the way through a message of MAX bytes, held as the whole message it assembles in place.
    await fifthPassesBudget(Buffer.from(Array.from({ length: MAX }, (_, i) => (i * 7) & 255)), (3 * MAX) / 4);
  });

  it('counts an unfinished request as the memory it is assembled in: a 40,000-byte message takes a 64 KiB buffer', async () => {
    // Counted as their 40,000 bytes, five would hold 200,000 of the 262,144
    // allowed; as the 65,536-byte buffers they take, the fifth passes it.
    await fifthPassesBudget(Buffer.alloc(40_000, 7), 24_000);
  });

  it('closes a connection whose client leaves more than maxQueuedBytes of answers behind closed windows (ENHANCE_YOUR_CALM)', async () => {
    const raw = await RawH2.open(port);
    const windowZero = Buffer.alloc(6);
    windowZero.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE 0
    raw.send(Buffer.concat([PREFACE_BYTES, frame(FRAME.SETTINGS, 0, 0, windowZero), frame(FRAME.SETTINGS, FLAG.ACK, 0)]));
    const req = Buffer.alloc(8);
    req.writeUInt32BE(100, 0);
    req.writeUInt32BE(20_000, 4);
    raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Stream'))));
    raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 1, grpcMessage(req)));
    expect(await raw.closedWithin(5000)).toBe(true);
    expect(goAwayCode(raw)).toBe(11);
  });

  it('counts a reset call whose handler still runs against the stream limit (rapid reset)', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      for (const id of [1, 3, 5, 7, 9, 11]) {
        raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, headerBlock(request('Slow'))));
        raw.send(frame(FRAME.DATA, FLAG.END_STREAM, id, grpcMessage(Buffer.from('x'))));
        raw.send(frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
      }
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 13, headerBlock(request('Unary'))));
      expect(await raw.until((f) => f.some((x) => x.type === FRAME.RST_STREAM && x.streamId === 13), 5000)).toBe(true);
      expect(raw.frames.find((x) => x.type === FRAME.RST_STREAM && x.streamId === 13)!.payload.readUInt32BE(0)).toBe(7);
      expect(released).toHaveLength(6);
      for (const answer of released.splice(0)) answer();
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 15, headerBlock(request('Unary'))));
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 15, grpcMessage(Buffer.from('after'))));
      expect(await raw.until((f) => ended(f, 15), 5000)).toBe(true);
      expect(messagesOf(raw.frames, 15).map(String)).toEqual(['after']);
    } finally {
      raw.destroy();
    }
  });

  it('ignores trailers on a stream it already answered, and keeps the header table in step past a self-dependent stream', async () => {
    const raw = await RawH2.open(port);
    try {
      raw.send(handshake());
      // Over the limit: answered at once (RESOURCE_EXHAUSTED, RST_STREAM NO_ERROR) while the client still sends.
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock(request('Unary'))));
      raw.send(frame(FRAME.DATA, 0, 1, prefix(MAX + 1)));
      expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, headerBlock([['x-trailer', 'late']])));
      // Stream 3 depends on itself (a stream error) and indexes x-a; stream 5 refers to that entry (index 62).
      const indexed = Buffer.concat([headerBlock(request('Unary')), Buffer.from([0x40, 3]), Buffer.from('x-a'), Buffer.from([1]), Buffer.from('b')]);
      const priority = Buffer.from([0, 0, 0, 3, 16]);
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.PRIORITY, 3, Buffer.concat([priority, indexed])));
      raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 5, Buffer.concat([headerBlock(request('Unary')), Buffer.from([0xbe])])));
      raw.send(frame(FRAME.DATA, FLAG.END_STREAM, 5, grpcMessage(Buffer.from('in step'))));
      expect(await raw.until((f) => ended(f, 5), 5000)).toBe(true);
      expect(messagesOf(raw.frames, 5).map(String)).toEqual(['in step']);
      expect(raw.frames.find((x) => x.type === FRAME.RST_STREAM && x.streamId === 3)?.payload.readUInt32BE(0)).toBe(1);
      expect(raw.frames.some((x) => x.type === FRAME.GOAWAY)).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('over TLS: a socket that never finishes its handshake does not hold up close()', async () => {
    const tmp = tempDir('mqlab-grpc-tls-');
    const store = readFileSync(makeServerCerts(tmp.dir).serverStore);
    const tls = new GrpcServer({ maxRequestBytes: MAX, maxConcurrentStreams: 4, maxConnections: 5, idleMs: 30_000, maxQueuedBytes: 1024 * 1024, tls: { key: store, cert: store } });
    try {
      const tlsPort = await tls.listen('127.0.0.1', 0);
      const idle = netConnect(tlsPort, '127.0.0.1');
      await new Promise((resolve) => idle.once('connect', resolve));
      const closed = new Promise((resolve) => idle.once('close', resolve));
      const started = Date.now();
      await tls.close(300);
      await closed;
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      tmp.cleanup();
    }
  });
});

function request(name: string): Array<[string, string]> {
  return [[':method', 'POST'], [':scheme', 'http'], [':path', `/test.Echo/${name}`], [':authority', 'localhost'], ['content-type', 'application/grpc'], ['te', 'trailers']];
}

function ended(frames: Frame[], streamId: number): boolean {
  return frames.some((f) => f.streamId === streamId && (f.type === FRAME.HEADERS || f.type === FRAME.DATA) && (f.flags & FLAG.END_STREAM) !== 0);
}

/** The header fields of a stream's header blocks, decoded in the order the server sent them (one decoder per connection). */
function headersOf(frames: Frame[], streamId: number): Record<string, string> {
  const d = new HpackDecoder();
  const out: Record<string, string> = {};
  for (const f of frames) {
    if (f.type !== FRAME.HEADERS) continue;
    const fields = d.decode(f.payload).headers;
    if (f.streamId === streamId) for (const [k, v] of fields) out[k] = v;
  }
  return out;
}

function statusOf(frames: Frame[], streamId: number): string | undefined {
  return headersOf(frames, streamId)['grpc-status'];
}
