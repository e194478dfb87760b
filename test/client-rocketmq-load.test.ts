// The lean RocketMQ load tools (gRPC over their own HTTP/2 client
// connection) against a test broker: stamped sends of several messages per
// request come back whole through receive-and-ack loops and through pulls,
// each message once;
// refusals count as errors; a call the server does not know is a gRPC
// error, not a hang; requests larger than the server's windows wait for its
// WINDOW_UPDATEs, calls past its concurrent-stream limit wait their turn, and
// a connection the server drops fails the calls on it.
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCallError, GrpcSession, statusCode } from '../src/client/load/grpc-wire.js';
import { rocketCallLoad, rocketReceiveLoad, rocketSendLoad, rocketTakeWithoutAck } from '../src/client/load/rocketmq.js';
import { messagingService } from '../src/protocol/rocketmq/proto.js';
import { rocketPullLoad } from '../src/client/load/rocketmq-pull.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { committedAt } from './helpers/broker-events.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- proto objects
const encode = (method: string, request: Record<string, any>): Buffer => messagingService()[method]!.requestSerialize(request);

describe('RocketMQ load tools', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.destroy();
    broker = undefined;
  });

  it('sends stamped batches and receives each message once', async () => {
    broker = await startTestBroker({}, { rocketmq: true });
    broker.broker.createTopic('load', 1, { 'message.type': 'NORMAL' });
    const endpoint = broker.rocketmqEndpoint!;
    const s = await rocketSendLoad({ endpoint, topic: 'load', messagesPerRequest: 4, valueBytes: 100, window: 8, maxMessages: 200, maxMs: 30_000, producerId: 42n });
    expect([s.ackedMessages, s.requests, s.errors]).toEqual([200, 50, 0]);
    const r = await rocketReceiveLoad({ endpoint, topic: 'load', group: 'g', batch: 32, loops: 3, expectMessages: 200, maxMs: 30_000 });
    expect([r.received, r.errors, r.integrity.report('load', new Map([[42n, 200]]))]).toEqual([200, 0, { run: 'load', sent: 200, received: 200, lost: 0, duplicated: 0 }]);
    await committedAt(broker.broker, 'g', 'load', 0, 200n);
    expect(r.acks).toBeLessThanOrEqual(r.receives);
    // Acks sent alongside the next receive (the PushConsumer's shape): each message once, every one acked.
    const o = await rocketReceiveLoad({ endpoint, topic: 'load', group: 'g2', batch: 32, loops: 3, expectMessages: 200, maxMs: 30_000, overlapAcks: true });
    expect([o.received, o.errors, o.integrity.report('load', new Map([[42n, 200]]))]).toEqual([200, 0, { run: 'load', sent: 200, received: 200, lost: 0, duplicated: 0 }]);
    await committedAt(broker.broker, 'g2', 'load', 0, 200n);
    // Pulled from offset 0, each pull from the offset the last answered: each message once, in batches of at most 32.
    const pulled = await rocketPullLoad({ endpoint, topic: 'load', group: 'g3', batch: 32, expectMessages: 200, maxMs: 30_000 });
    expect([pulled.received, pulled.errors, pulled.pulls, pulled.integrity.report('load', new Map([[42n, 200]]))]).toEqual([200, 0, 7, { run: 'load', sent: 200, received: 200, lost: 0, duplicated: 0 }]);
    const h = await rocketCallLoad(endpoint, 'Heartbeat', {}, 20, 4, 30_000);
    expect([h.calls, h.errors]).toEqual([20, 0]);
  });

  it('takes exactly the messages asked for and leaves them unacked; an empty queue is an error', async () => {
    broker = await startTestBroker({}, { rocketmq: true });
    broker.broker.createTopic('backlog', 1, { 'message.type': 'NORMAL' });
    const endpoint = broker.rocketmqEndpoint!;
    await rocketSendLoad({ endpoint, topic: 'backlog', messagesPerRequest: 10, valueBytes: 64, window: 4, maxMessages: 100, maxMs: 30_000, producerId: 5n });
    // 70: not a multiple of the 32 a receive asks for at most.
    await rocketTakeWithoutAck(endpoint, 'g', 'backlog', 70, 600);
    const r = await rocketReceiveLoad({ endpoint, topic: 'backlog', group: 'g', batch: 32, loops: 1, expectMessages: 30, maxMs: 30_000 });
    expect([r.received, r.errors]).toEqual([30, 0]);
    // The 70 are out (invisible for 10 minutes): nothing is left to take.
    await expect(rocketTakeWithoutAck(endpoint, 'g', 'backlog', 1, 600)).rejects.toThrow(/took 0 of 1 messages of backlog: the queue ran dry/);
  });

  it('counts refused sends as errors, and a call the server lacks fails with its gRPC status', async () => {
    broker = await startTestBroker({}, { rocketmq: true });
    const s = await rocketSendLoad({ endpoint: broker.rocketmqEndpoint!, topic: 'missing', messagesPerRequest: 1, valueBytes: 16, window: 2, maxMessages: 10, maxMs: 30_000, producerId: 1n });
    expect(s.ackedMessages).toBe(0);
    expect(s.errors).toBeGreaterThan(0);
    expect(s.firstError).toMatch(/status 40402/); // TOPIC_NOT_FOUND
    const session = await GrpcSession.connect(broker.rocketmqEndpoint!);
    try {
      await expect(session.call('NoSuchMethod', Buffer.alloc(0), 5_000)).rejects.toBeInstanceOf(GrpcCallError);
    } finally {
      session.close();
    }
  });

  it('keeps to the server\'s windows and stream limit, and fails its calls when the server goes', async () => {
    broker = await startTestBroker({ 'rocketmq.max.concurrent.streams': '3', 'message.max.bytes': String(8 * 1024 * 1024) }, { rocketmq: true });
    broker.broker.createTopic('big', 1, { 'message.type': 'NORMAL' });
    const session = await GrpcSession.connect(broker.rocketmqEndpoint!);
    try {
      // Three 3 MiB requests at once: each past the server's 1 MiB stream window, together past 3 streams' worth of the connection's.
      const body = Buffer.alloc(3 * 1024 * 1024, 'b');
      const sends = [1, 2, 3].map((i) => session.call('SendMessage', encode('SendMessage', { messages: [{ topic: { name: 'big' }, systemProperties: { messageId: `01BIG${i}`, messageType: 'NORMAL', bodyEncoding: 'IDENTITY' }, body }] }), 30_000));
      // Twenty calls at once on a connection that takes three.
      const beats = Array.from({ length: 20 }, () => session.call('Heartbeat', encode('Heartbeat', {}), 30_000));
      const answers = await Promise.all([...sends, ...beats]);
      expect(answers.map((a) => statusCode(a[0]!))).toEqual(Array(23).fill(20000));
      expect(broker.broker.engine.highWatermark({ topic: 'big', partition: 0 })).toBe(3n);
      // A long poll the server is stopped under: the call fails, it does not hang.
      const poll = session.call('ReceiveMessage', encode('ReceiveMessage', { group: { name: 'g' }, messageQueue: { topic: { name: 'big' }, id: 0 }, filterExpression: { type: 'TAG', expression: 'none-such' }, batchSize: 1, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '20' } }), 30_000);
      const settled = poll.then(() => 'answered', (err: Error) => err.message);
      await broker.destroy();
      broker = undefined;
      expect(await settled).toMatch(/answered|closed|went away/);
    } finally {
      session.close();
    }
  });
});
