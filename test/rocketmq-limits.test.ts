// The RocketMQ endpoint's limits (rocketmq.* settings, README "RocketMQ
// endpoint limits"), against `mqlab serve` in a child process with them set
// low: the largest gRPC message, connections at once, calls at once on a
// connection, received bytes not yet read by slow clients (per connection and
// in all), streams left open past their answer or deadline, and idle
// connections (one that never finishes its HTTP/2 preface too). Past each,
// only the offending call or connection suffers.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { BROKER_CONFIG_DEFAULTS } from '../src/broker/configs.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';
import { callRaw, openChannel, receive, unary } from './fuzz/grpc-calls.js';
import { FLAG, FRAME, frame, grpcHeaders, grpcMessage, grpcMessagesOf, handshake, longPoll, PREFACE, RawH2, REFUSED_STREAM, streamEnded as ended, windowUpdate } from './fuzz/h2-frames.js';
import { decode, encode, rpc } from './fuzz/rocketmq-schema.js';
import type { Frame } from './fuzz/h2-frames.js';

const MESSAGE_MAX = 100_000;
const MAX_REQUEST = 200_000;
const MAX_STREAMS = 4;
// Long enough that the long polls and deadlines of the other tests never leave a connection this long without traffic.
const IDLE_MS = 5000;
const MAX_CONNECTIONS = 8;
const SLOW_BODY = 20_000;
const UNSENT_PER_CONNECTION = 8 * SLOW_BODY;
const UNSENT = 20 * SLOW_BODY;

const send = (body: Buffer) => ({ messages: [{ topic: { name: 'limits' }, body, systemProperties: { messageId: 'L', messageType: 'NORMAL', bornTimestamp: { seconds: '1700000000' } } }] });

describe('RocketMQ endpoint limits', () => {
  const tmp = tempDir('mqlab-rmq-limits-');
  let broker: ServeProcess;
  let port: number;

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, [
      '--rocketmq-port', '0',
      '--set', `message.max.bytes=${MESSAGE_MAX}`,
      '--set', `rocketmq.max.request.bytes=${MAX_REQUEST}`,
      '--set', `rocketmq.max.concurrent.streams=${MAX_STREAMS}`,
      '--set', `rocketmq.connections.max.idle.ms=${IDLE_MS}`,
      '--set', `rocketmq.connection.max.unsent.bytes=${UNSENT_PER_CONNECTION}`,
      '--set', `rocketmq.max.unsent.bytes=${UNSENT}`,
    ]);
    port = broker.rocketmqPort!;
    const admin = await Admin.connect(`127.0.0.1:${broker.port}`);
    await admin.createTopic('limits', 1);
    await admin.createTopic('slow', 1);
    admin.close();
    const c = openChannel(`127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 40; i++) {
        const r = await unary(c, 'SendMessage', { messages: [{ topic: { name: 'slow' }, body: Buffer.alloc(SLOW_BODY, i), systemProperties: { messageId: `S${i}`, messageType: 'NORMAL', bornTimestamp: { seconds: '1700000000' } } }] });
        expect(r.status.code).toBe('OK');
      }
    } finally {
      c.close();
    }
  });
  afterAll(async () => {
    expect(broker.errorLines).toEqual([]);
    expect(broker.strayLines).toEqual([]);
    await broker?.kill();
    tmp.cleanup();
  });

  it('has the defaults the README states', () => {
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.request.bytes']).toBe(String(4 * 1024 * 1024));
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.concurrent.streams']).toBe('100');
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.connections.max.idle.ms']).toBe('300000');
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.connections']).toBe('1000');
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.connection.max.unsent.bytes']).toBe(String(64 * 1024 * 1024));
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.unsent.bytes']).toBe(String(256 * 1024 * 1024));
  });

  it('bounds received messages a client does not read, per connection and in all: past either, receives answer TOO_MANY_REQUESTS until they are read or their call ends', async () => {
    // Raw clients that never open their HTTP/2 windows: the broker can send each 64 KiB, the rest waits in its memory.
    const slow = await Promise.all([0, 1, 2].map(() => RawH2.open(port)));
    for (const [i, h2] of slow.entries()) {
      h2.send(handshake());
      h2.send(receiveOn(1, `slow-${i}`, 32));
      expect(await h2.until((f) => f.some((x) => x.type === FRAME.DATA && x.streamId === 1), 5000)).toBe(true);
    }
    // Each of the first two was given 8 messages of 20,000 B (its connection's bound), the third 4 (what was left of the total): more than 64 KiB each.
    const other = openChannel(`127.0.0.1:${port}`);
    try {
      const refused = await receive(other, receiveRequest('slow-other', 1));
      expect(refused[0]!.status.code).toBe('TOO_MANY_REQUESTS');
      expect(refused[0]!.status.message).toMatch(/rocketmq\.max\.unsent\.bytes/);
      // On a full connection the next receive is refused too, for that connection's bound (opened windows let the answer through).
      slow[0]!.send(windowUpdate(0, 10_000_000));
      slow[0]!.send(receiveOn(3, 'slow-0b', 1));
      expect(await slow[0]!.until((f) => ended(f, 3), 5000)).toBe(true);
      expect(messagesOf(slow[0]!.frames, 3).map((m) => m.status?.code).filter(Boolean)).toEqual(['TOO_MANY_REQUESTS']);
      expect(messagesOf(slow[0]!.frames, 3)[0]!.status.message).toMatch(/rocketmq\.connection\.max\.unsent\.bytes/);
      // Read: the first two get what they were given, whole.
      for (const h2 of slow.slice(0, 2)) {
        h2.send(windowUpdate(0, 10_000_000));
        h2.send(windowUpdate(1, 10_000_000));
        expect(await h2.until((f) => ended(f, 1), 5000)).toBe(true);
        expect(messagesOf(h2.frames, 1).filter((m) => m.message).map((m) => m.message.body.length)).toEqual(Array(8).fill(SLOW_BODY));
      }
      // The third goes away unread: its bytes are let go too, and the other client is served.
      slow[2]!.destroy();
      await slow[2]!.closed;
      const served = await receive(other, receiveRequest('slow-other', 1));
      expect(served[0]!.status.code).toBe('OK');
      expect(served.filter((m) => m.message)).toHaveLength(1);
    } finally {
      other.close();
      for (const h2 of slow) h2.destroy();
    }
  });

  it('cancels a stream still unread past its deadline, which frees its connection\'s bound', async () => {
    const h2 = await RawH2.open(port);
    try {
      h2.send(handshake());
      h2.send(receiveOn(1, 'slow-deadline', 32, '2S'));
      expect(await h2.until((f) => f.some((x) => x.type === FRAME.RST_STREAM && x.streamId === 1), 10_000)).toBe(true);
      expect(h2.frames.find((x) => x.type === FRAME.RST_STREAM && x.streamId === 1)!.payload.readUInt32BE(0)).toBe(8); // CANCEL
      h2.send(windowUpdate(0, 10_000_000));
      h2.send(receiveOn(3, 'slow-deadline-b', 1));
      expect(await h2.until((f) => ended(f, 3), 5000)).toBe(true);
      expect(messagesOf(h2.frames, 3).filter((m) => m.message)).toHaveLength(1);
    } finally {
      h2.destroy();
    }
  });

  it('resets a stream the client never ends once its answer is out (RST_STREAM NO_ERROR), so it no longer keeps its connection from going idle', async () => {
    const h2 = await RawH2.open(port);
    h2.send(handshake());
    // A message said to be over rocketmq.max.request.bytes: answered RESOURCE_EXHAUSTED at once, while the client keeps its side open.
    const head = Buffer.alloc(5);
    head.writeUInt32BE(MAX_REQUEST + 1, 1);
    h2.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, grpcHeaders('SendMessage')));
    h2.send(frame(FRAME.DATA, 0, 1, head));
    expect(await h2.until((f) => f.some((x) => x.type === FRAME.RST_STREAM && x.streamId === 1), 10_000)).toBe(true);
    expect(h2.frames.find((x) => x.type === FRAME.RST_STREAM && x.streamId === 1)!.payload.readUInt32BE(0)).toBe(0);
    h2.destroy();
  });

  it('ends a call whose message is over rocketmq.max.request.bytes with RESOURCE_EXHAUSTED; a body over the limit within it is MESSAGE_BODY_TOO_LARGE', async () => {
    const c = openChannel(`127.0.0.1:${port}`);
    try {
      expect((await unary(c, 'SendMessage', send(Buffer.alloc(1000)))).status.code).toBe('OK');
      expect((await unary(c, 'SendMessage', send(Buffer.alloc(MESSAGE_MAX)))).status.code).toBe('MESSAGE_BODY_TOO_LARGE');
      const r = rpc('SendMessage');
      const over = await callRaw(c, r.path, 'unary', [encode(r.request, send(Buffer.alloc(MAX_REQUEST)))], 'limits', 10_000);
      expect(over.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(over.details).toMatch(/larger than max \(\d+ vs 200000\)/);
      // The connection goes on.
      expect((await unary(c, 'Heartbeat', {})).status.code).toBe('OK');
    } finally {
      c.close();
    }
  });

  it('holds a connection to rocketmq.max.concurrent.streams calls: a client waits for room (grpc-js does), one that opens more has those refused (REFUSED_STREAM)', async () => {
    const c = openChannel(`127.0.0.1:${port}`);
    try {
      // Six long polls at once on one channel: the client sends four, then the others as those end.
      const started = Date.now();
      const polls = await Promise.all(Array.from({ length: MAX_STREAMS + 2 }, () => callRaw(c, rpc('ReceiveMessage').path, 'serverStream', [longPoll('limits', 1).subarray(5)], 'limits', 10_000)));
      expect(polls.map((p) => p.code)).toEqual(Array(MAX_STREAMS + 2).fill(grpc.status.OK));
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000 - 200);
      // A raw client opening six at once (the server said four): the last two are refused (RFC 9113 §5.1.2), the four served.
      const h2 = await RawH2.open(port);
      h2.send(handshake());
      for (let i = 0; i < MAX_STREAMS + 2; i++) {
        h2.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * i, grpcHeaders('ReceiveMessage', [['grpc-timeout', '5S']])));
        h2.send(frame(FRAME.DATA, FLAG.END_STREAM, 1 + 2 * i, longPoll('limits', 1)));
      }
      const ids = Array.from({ length: MAX_STREAMS + 2 }, (_, i) => 1 + 2 * i);
      expect(await h2.until((f) => ids.slice(0, MAX_STREAMS).every((id) => ended(f, id)), 10_000)).toBe(true);
      expect(h2.frames.filter((f) => f.type === FRAME.RST_STREAM && f.payload.readUInt32BE(0) === REFUSED_STREAM).map((f) => f.streamId)).toEqual(ids.slice(MAX_STREAMS));
      expect(h2.isClosed).toBe(false);
      h2.destroy();
      // Other connections were not touched.
      expect((await unary(c, 'Heartbeat', {})).status.code).toBe('OK');
    } finally {
      c.close();
    }
  });

  it('closes a connection idle for rocketmq.connections.max.idle.ms, one that never finishes its preface, one that sends nothing, and one whose open call has no traffic', async () => {
    const idle = await RawH2.open(port);
    idle.send(handshake());
    const partial = await RawH2.open(port);
    partial.send(PREFACE.subarray(0, 10));
    const silent = await RawH2.open(port);
    // A call that never sends its request, without a deadline: grpc-js waits on it for good; no traffic for the idle time ends its connection.
    const waiting = await RawH2.open(port);
    waiting.send(handshake());
    waiting.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, grpcHeaders('SendMessage')));
    const started = Date.now();
    expect(await Promise.all([idle, partial, silent, waiting].map((h) => h.closedWithin(10 * IDLE_MS)))).toEqual([true, true, true, true]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
  });

});

// On a broker of its own: connections the other tests closed may not all be gone from the broker's count yet.
describe('RocketMQ endpoint connection limit', () => {
  const tmp = tempDir('mqlab-rmq-conns-');
  let broker: ServeProcess;
  let port: number;

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, ['--rocketmq-port', '0', '--set', `rocketmq.max.connections=${MAX_CONNECTIONS}`]);
    port = broker.rocketmqPort!;
    const admin = await Admin.connect(`127.0.0.1:${broker.port}`);
    await admin.createTopic('limits', 1);
    admin.close();
  });
  afterAll(async () => {
    expect(broker.errorLines).toEqual([]);
    expect(broker.strayLines).toEqual([]);
    await broker?.kill();
    tmp.cleanup();
  });
  it('closes connections past rocketmq.max.connections as they arrive, and the ones open keep working', async () => {
    const channels = Array.from({ length: MAX_CONNECTIONS }, () => openChannel(`127.0.0.1:${port}`));
    try {
      // Each busy with a long poll, so the idle timeout leaves them be.
      const polls = channels.map((c) => callRaw(c, rpc('ReceiveMessage').path, 'serverStream', [longPoll('limits', 3).subarray(5)], 'limits', 10_000));
      await Promise.all(channels.map((c) => unary(c, 'Heartbeat', {})));
      const extra = await RawH2.open(port);
      extra.send(handshake());
      expect(await extra.closedWithin(5000)).toBe(true);
      expect(extra.frames).toEqual([]);
      for (const c of channels) expect((await unary(c, 'Heartbeat', {})).status.code).toBe('OK');
      expect((await Promise.all(polls)).map((p) => p.code)).toEqual(Array(MAX_CONNECTIONS).fill(grpc.status.OK));
    } finally {
      for (const c of channels) c.close();
    }
  });
});

function receiveRequest(group: string, batchSize: number): Record<string, unknown> {
  return { group: { name: group }, messageQueue: { topic: { name: 'slow' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } };
}

/** A whole ReceiveMessage call on a raw connection (HEADERS, then its request with END_STREAM). */
function receiveOn(streamId: number, group: string, batchSize: number, timeout = '10S'): Buffer {
  return Buffer.concat([
    frame(FRAME.HEADERS, FLAG.END_HEADERS, streamId, grpcHeaders('ReceiveMessage', [['grpc-timeout', timeout]])),
    frame(FRAME.DATA, FLAG.END_STREAM, streamId, grpcMessage(encode(rpc('ReceiveMessage').request, receiveRequest(group, batchSize)))),
  ]);
}

/** The ReceiveMessage answers carried by a stream's DATA frames, decoded. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function messagesOf(frames: Frame[], streamId: number): Record<string, any>[] {
  return grpcMessagesOf(frames, streamId).map((m) => decode(rpc('ReceiveMessage').response, m));
}
