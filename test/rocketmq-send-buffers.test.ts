// SendMessage batches are written into buffers used again once their append
// settled (native-send.ts): 64 requests of 16 messages in flight at once,
// more than the pool keeps, each message must come back once and whole.
// A buffer handed to a second request while the first's bytes were still to
// be written would store one request's messages twice and lose the other's.
// A request of several DATA frames is assembled into a buffer that comes
// back once its answer is encoded (grpc/call.ts requestBuffers): each
// answer must still carry its own request's message ids. A receive's
// deliveries are encoded into a buffer that comes back once the answer has
// left (encode-received.ts deliveryBuffers): receives of two groups at once
// must each get every message once and whole.
import { afterEach, describe, expect, it } from 'vitest';
import { rocketReceiveLoad, rocketSendLoad } from '../src/client/load/rocketmq.js';
import { requestBuffers } from '../src/protocol/grpc/call.js';
import { deliveryBuffers } from '../src/protocol/rocketmq/encode-received.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { rawClient, rawUnary, type RawClient } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ request, batch and answer buffers (%s)', (engine) => {
  let broker: TestBroker | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    client?.close();
    client = undefined;
    await broker?.destroy();
    broker = undefined;
  });

  it('stores every message of 400 concurrent 16-message requests once, as sent', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    for (const t of ['a', 'b']) broker.broker.createTopic(t, 1, { 'message.type': 'NORMAL' });
    const endpoint = broker.rocketmqEndpoint!;
    // Two topics at once, so buffers pass between their appends too.
    const [a, b] = await Promise.all(['a', 'b'].map((topic, i) => rocketSendLoad({ endpoint, topic, messagesPerRequest: 16, valueBytes: 1024, window: 64, maxMessages: 3200, maxMs: 60_000, producerId: BigInt(70 + i) })));
    expect([a!.ackedMessages, a!.errors, b!.ackedMessages, b!.errors]).toEqual([3200, 0, 3200, 0]);
    for (const [topic, producer] of [['a', 70n], ['b', 71n]] as const) {
      const r = await rocketReceiveLoad({ endpoint, topic, group: `g-${topic}`, batch: 32, loops: 2, expectMessages: 3200, maxMs: 60_000 });
      expect(r.integrity.report(topic, new Map([[producer, 3200]]))).toEqual({ run: topic, sent: 3200, received: 3200, lost: 0, duplicated: 0 });
    }
  });

  it('gives every message once and whole to two groups receiving at once, eight receives in flight, their answers\' buffers used again', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('r', 1, { 'message.type': 'NORMAL' });
    const endpoint = broker.rocketmqEndpoint!;
    const sent = await rocketSendLoad({ endpoint, topic: 'r', messagesPerRequest: 16, valueBytes: 1024, window: 64, maxMessages: 3200, maxMs: 60_000, producerId: 90n });
    expect([sent.ackedMessages, sent.errors]).toEqual([3200, 0]);
    const reports = await Promise.all(['g1', 'g2'].map(async (group) => {
      const r = await rocketReceiveLoad({ endpoint, topic: 'r', group, batch: 32, loops: 4, expectMessages: 3200, maxMs: 20_000 });
      return r.integrity.report(group, new Map([[90n, 3200]]));
    }));
    expect(reports).toEqual(['g1', 'g2'].map((run) => ({ run, sent: 3200, received: 3200, lost: 0, duplicated: 0 })));
    expect(deliveryBuffers.heldBytes).toBeGreaterThan(0);
  });

  it('answers each of 200 concurrent requests of two DATA frames with its own ids, refused ones read whole again', async () => {
    // Each append waits for its fsync, so requests arrive (and are assembled) while others are still answering.
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'mqlab.flush': 'batch' }, { rocketmq: true });
    broker.broker.createTopic('a', 1, { 'message.type': 'NORMAL' });
    client = rawClient(broker.rocketmqEndpoint!);
    const body = Buffer.alloc(1024, 'm');
    const idOf = (r: number, i: number): string => `01${String(r).padStart(16, '0')}${String(i).padStart(16, '0')}`;
    // 16 KiB of bodies and more: no request fits one frame. Every tenth names a topic that is not there, so
    // the addon's read is refused by the broker and the request is read again from its bytes, for the error.
    const answers = await Promise.all(Array.from({ length: 200 }, (_, r) => {
      const topic = r % 10 === 9 ? 'absent' : 'a';
      const messages = Array.from({ length: 16 }, (_, i) => ({ topic: { name: topic }, systemProperties: { messageId: idOf(r, i), messageType: 'NORMAL', bodyEncoding: 'IDENTITY', queueId: 0 }, body }));
      return rawUnary(client!, 'SendMessage', { messages });
    }));
    answers.forEach((a, r) => {
      if (r % 10 === 9) return expect(a.status.code, `request ${r}`).toBe('TOPIC_NOT_FOUND');
      expect([a.status.code, a.entries.map((e: { messageId: string }) => e.messageId)], `request ${r}`).toEqual(['OK', Array.from({ length: 16 }, (_, i) => idOf(r, i))]);
    });
    expect(broker.broker.engine.highWatermark({ topic: 'a', partition: 0 })).toBe(180n * 16n);
    // The requests' buffers came back to be assembled into again.
    expect(requestBuffers.heldBytes).toBeGreaterThan(0);
  });
});
