// SendMessage batches are written into buffers used again once their append
// settled (native-send.ts): 64 requests of 16 messages in flight at once,
// more than the pool keeps, each message must come back once and whole.
// A buffer handed to a second request while the first's bytes were still to
// be written would store one request's messages twice and lose the other's.
import { afterEach, describe, expect, it } from 'vitest';
import { rocketReceiveLoad, rocketSendLoad } from '../src/client/load/rocketmq.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('SendMessage batch buffers (%s)', (engine) => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
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
});
