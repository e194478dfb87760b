// The official client's startup with several topics. rocketmq-client-nodejs
// 1.0.8 waits for a settings command only once every route is in, and drops
// one that comes sooner; without the broker's settings echo
// (settings-echo.ts) a Producer of four topics waited five minutes for its
// next settings sync, every time. Each startup here must end well before
// that: the test's own timeout (60 s) is the bound for a hang, not a speed
// measure.
import { ConsumeResult, PushConsumer } from 'rocketmq-client-nodejs';
import { describe, expect, it } from 'vitest';
import { quietLogger, receiveUntil, rocketmqBrokerPerTest, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';

const TOPICS = ['s0', 's1', 's2', 's3'];

describe('the official client starting with several topics', () => {
  const rmq = rocketmqBrokerPerTest();

  it('a Producer of four topics, a SimpleConsumer and a PushConsumer of four subscriptions start, and send and receive', { timeout: 60_000 }, async () => {
    const broker = await rmq.start({});
    for (const t of TOPICS) broker.broker.createTopic(t, 1);
    const endpoint = broker.rocketmqEndpoint!;
    for (let round = 0; round < 3; round++) {
      const p = rmq.track(await startProducer(endpoint, TOPICS));
      await p.send({ topic: TOPICS[round]!, body: Buffer.from(`m${round}`) });
    }
    const simple = rmq.track(await startSimpleConsumer(endpoint, 'starting-simple', Object.fromEntries(TOPICS.map((t) => [t, '*']))));
    // Each receive asks one of its subscriptions (the client picks), so until something comes.
    const got = await receiveUntil(simple, (all) => all.length > 0);
    expect(got.length).toBeGreaterThan(0);
    const push = rmq.track(new PushConsumer({ endpoints: endpoint, namespace: '', logger: quietLogger, consumerGroup: 'starting-push', subscriptions: new Map(TOPICS.map((t) => [t, '*'])), messageListener: { consume: () => ConsumeResult.SUCCESS } }));
    await push.startup();
  });
});
