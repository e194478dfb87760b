// The official client's startup with several topics. rocketmq-client-nodejs
// 1.0.8 waits for a settings command only once every route is in, and drops
// one that comes sooner; without the broker's settings echo
// (settings-echo.ts) a Producer of four topics waited five minutes for its
// next settings sync, every time. Each startup here must end well before
// that (the bound is a deadline for a hang, not a speed measure).
import { ConsumeResult, PushConsumer } from 'rocketmq-client-nodejs';
import { describe, expect, it } from 'vitest';
import { quietLogger, receiveUntil, rocketmqBrokerPerTest, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';

const HANG_MS = 30_000;
const TOPICS = ['s0', 's1', 's2', 's3'];

function unlessHung<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish its startup in ${HANG_MS / 1000} s (waiting for its next settings sync, 5 min on?)`)), HANG_MS);
  });
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
}

describe('the official client starting with several topics', () => {
  const rmq = rocketmqBrokerPerTest();

  it('a Producer of four topics, a SimpleConsumer and a PushConsumer of four subscriptions start, and send and receive', async () => {
    const broker = await rmq.start({});
    for (const t of TOPICS) broker.broker.createTopic(t, 1);
    const endpoint = broker.rocketmqEndpoint!;
    for (let round = 0; round < 3; round++) {
      const p = rmq.track(await unlessHung('Producer', startProducer(endpoint, TOPICS)));
      await p.send({ topic: TOPICS[round]!, body: Buffer.from(`m${round}`) });
    }
    const simple = rmq.track(await unlessHung('SimpleConsumer', startSimpleConsumer(endpoint, 'starting-simple', Object.fromEntries(TOPICS.map((t) => [t, '*'])))));
    // Each receive asks one of its subscriptions (the client picks), so until something comes.
    const got = await receiveUntil(simple, (all) => all.length > 0);
    expect(got.length).toBeGreaterThan(0);
    const push = rmq.track(new PushConsumer({ endpoints: endpoint, namespace: '', logger: quietLogger, consumerGroup: 'starting-push', subscriptions: new Map(TOPICS.map((t) => [t, '*'])), messageListener: { consume: () => ConsumeResult.SUCCESS } }));
    await unlessHung('PushConsumer', push.startup());
  });
});
