// The lean RocketMQ load tools (gRPC over node:http2) against a test broker:
// stamped sends of several messages per request come back whole through
// receive-and-ack loops, each message once; refusals count as errors; and a
// call the server does not know is a gRPC error, not a hang.
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCallError, GrpcSession } from '../src/client/load/grpc-wire.js';
import { rocketCallLoad, rocketReceiveLoad, rocketSendLoad, rocketTakeWithoutAck } from '../src/client/load/rocketmq.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { committedAt } from './helpers/broker-events.js';

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
});
