// The RocketMQ endpoint's limits (rocketmq.* settings, README "RocketMQ
// endpoint limits"), against `mqlab serve` in a child process with them set
// low: the largest gRPC message, connections at once, calls at once on a
// connection, and idle connections (one that never finishes its HTTP/2
// preface too). Past each, only the offending call or connection suffers.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { BROKER_CONFIG_DEFAULTS } from '../src/broker/configs.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';
import { callRaw, openChannel, unary } from './fuzz/grpc-calls.js';
import { FLAG, FRAME, frame, grpcHeaders, handshake, longPoll, PREFACE, RawH2 } from './fuzz/h2-frames.js';
import { encode, rpc } from './fuzz/rocketmq-schema.js';

const MESSAGE_MAX = 100_000;
const MAX_REQUEST = 200_000;
const MAX_STREAMS = 4;
const IDLE_MS = 1000;

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
    ]);
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

  it('has the defaults the README states', () => {
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.request.bytes']).toBe(String(4 * 1024 * 1024));
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.max.concurrent.streams']).toBe('100');
    expect(BROKER_CONFIG_DEFAULTS['rocketmq.connections.max.idle.ms']).toBe('300000');
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

  it('holds a connection to rocketmq.max.concurrent.streams calls: a client waits for room (grpc-js does), one that opens more loses that connection only', async () => {
    const c = openChannel(`127.0.0.1:${port}`);
    try {
      // Six long polls at once on one channel: the client sends four, then the others as those end.
      const started = Date.now();
      const polls = await Promise.all(Array.from({ length: MAX_STREAMS + 2 }, () => callRaw(c, rpc('ReceiveMessage').path, 'serverStream', [longPoll('limits', 1).subarray(5)], 'limits', 10_000)));
      expect(polls.map((p) => p.code)).toEqual(Array(MAX_STREAMS + 2).fill(grpc.status.OK));
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000 - 200);
      // A raw client opening six at once breaks the protocol (the server said four): Node's HTTP/2 ends its connection.
      const h2 = await RawH2.open(port);
      h2.send(handshake());
      for (let i = 0; i < MAX_STREAMS + 2; i++) {
        h2.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * i, grpcHeaders('ReceiveMessage', [['grpc-timeout', '5S']])));
        h2.send(frame(FRAME.DATA, FLAG.END_STREAM, 1 + 2 * i, longPoll('limits', 3)));
      }
      expect(await h2.closedWithin(5000)).toBe(true);
      expect(h2.frames.some((f) => f.type === FRAME.GOAWAY)).toBe(true);
      // Other connections were not touched.
      expect((await unary(c, 'Heartbeat', {})).status.code).toBe('OK');
    } finally {
      c.close();
    }
  });

  it('closes a connection idle for rocketmq.connections.max.idle.ms, one that never finishes its preface, and one that sends nothing', async () => {
    const idle = await RawH2.open(port);
    idle.send(handshake());
    const partial = await RawH2.open(port);
    partial.send(PREFACE.subarray(0, 10));
    const silent = await RawH2.open(port);
    const started = Date.now();
    expect(await Promise.all([idle.closedWithin(10 * IDLE_MS), partial.closedWithin(10 * IDLE_MS), silent.closedWithin(10 * IDLE_MS)])).toEqual([true, true, true]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
  });
});
