// Delayed delivery through the official client, both engines: a DELAY
// message is never received before its delivery time and at most 1 s after
// (lateness = receive time - delivery time, measured by the consumer);
// RecallMessage cancels one still pending; a delivery time beyond
// timer.max.delay.ms answers ILLEGAL_DELIVERY_TIME. Delays are drawn from
// a seeded generator (the seed is printed). With use.delay.level, a
// message goes at the delay level its wait rounds up to (the longest past
// them all), as RocketMQ 5's proxy with useDelayLevel.
import { describe, expect, it } from 'vitest';
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { rawClient, rawUnary, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';
import { receiveStamped, seeded } from './helpers/rocketmq-timing.js';

const ENGINES = ['segmented', 'commitlog'] as const;
/** RocketMQ's Code.ILLEGAL_DELIVERY_TIME */
const ILLEGAL_DELIVERY_TIME = 40012;
const SEED = Number(process.env.MQLAB_SEED ?? Date.now() % 1_000_000);

describe.each(ENGINES)('RocketMQ delayed messages (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  async function setup(settings: Record<string, string> = {}): Promise<{ producer: Producer; consumer: SimpleConsumer }> {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine, ...settings });
    broker.broker.createTopic('later', 1, { 'message.type': 'DELAY' });
    const producer = await startProducer(broker.rocketmqEndpoint!, ['later']);
    rmq.track(producer);
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'g', { later: '*' }, 2_000);
    rmq.track(consumer);
    return { producer, consumer };
  }

  it('delivers each message never before its delivery time and at most 1 s after', async () => {
    const { producer, consumer } = await setup();
    const random = seeded(SEED);
    console.log(`rocketmq-delay seed ${SEED} (MQLAB_SEED=${SEED} repeats it)`);
    const delays = Array.from({ length: 8 }, () => 1_000 + Math.floor(random() * 2_000));
    const sent = new Map<string, number>();
    for (const [i, delay] of delays.entries()) {
      const r = await producer.send({ topic: 'later', tag: 'd', body: Buffer.from(`m${i}`), delay });
      expect(r.recallHandle).not.toBe('');
      sent.set(`m${i}`, delay);
    }
    // Nothing is in the queue before it is due.
    expect(rmq.broker.broker.engine.highWatermark({ topic: 'later', partition: 0 })).toBe(0n);
    const got = await receiveStamped(consumer, delays.length, 20_000);
    expect(got.map((g) => g.m.body.toString()).sort()).toEqual([...sent.keys()].sort());
    for (const { m, at } of got) {
      const lateness = at - m.deliveryTimestamp!.getTime();
      expect(lateness, `${m.body} lateness`).toBeGreaterThanOrEqual(0);
      expect(lateness, `${m.body} lateness`).toBeLessThanOrEqual(1_000);
      expect(m.tag).toBe('d');
    }
  });

  it('RecallMessage cancels a pending message; a second recall and a delivered one answer NOT_FOUND', async () => {
    const { producer, consumer } = await setup();
    const kept = await producer.send({ topic: 'later', body: Buffer.from('kept'), delay: 1_500 });
    const recalled = await producer.send({ topic: 'later', body: Buffer.from('recalled'), delay: 1_500 });
    expect((await producer.recallMessage('later', recalled.recallHandle)).messageId).toBe(recalled.messageId);
    await expect(producer.recallMessage('later', recalled.recallHandle)).rejects.toThrow(/code: 40400/);
    const got = await receiveStamped(consumer, 1, 10_000);
    expect(got.map((g) => g.m.body.toString())).toEqual(['kept']);
    // The recalled one was due with it: one more long poll sees nothing.
    expect(await consumer.receive(16, 30_000)).toEqual([]);
    await expect(producer.recallMessage('later', kept.recallHandle)).rejects.toThrow(/code: 40400/);
    const raw = rawClient(rmq.broker.rocketmqEndpoint!);
    try {
      expect((await rawUnary(raw, 'RecallMessage', { topic: { name: 'later' }, recallHandle: 'not-a-handle' })).status.code).toBe('BAD_REQUEST');
      expect((await rawUnary(raw, 'RecallMessage', { topic: { name: 'other' }, recallHandle: kept.recallHandle })).status.code).toBe('TOPIC_NOT_FOUND');
    } finally {
      raw.close();
    }
  });

  it('use.delay.level: each message goes at the shortest level longer than its wait, or the longest', async () => {
    const { producer, consumer } = await setup({ 'use.delay.level': 'true', 'message.delay.level': '1s 3s 2s', 'timer.max.delay.ms': '60000' });
    // Waits of 0.5 s, 1.5 s, 2.5 s and 20 s: levels 1 (1 s), 3 (2 s), 2 (3 s) and the longest, 2 (3 s).
    const asked = [['a', 500, 1_000], ['b', 1_500, 2_000], ['c', 2_500, 3_000], ['d', 20_000, 3_000]] as const;
    const sentAt = new Map<string, number>();
    for (const [body, delay] of asked) {
      sentAt.set(body, Date.now());
      await producer.send({ topic: 'later', body: Buffer.from(body), delay });
    }
    const got = await receiveStamped(consumer, asked.length, 20_000);
    expect(got.map((g) => g.m.body.toString()).sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const { m, at } of got) {
      const [, , levelMs] = asked.find(([b]) => b === m.body.toString())!;
      const due = m.deliveryTimestamp!.getTime();
      // The delivery time the message carries is the level's, counted from when the broker took it.
      expect(due - sentAt.get(m.body.toString())!, `${m.body} delay`).toBeGreaterThanOrEqual(levelMs);
      expect(due - sentAt.get(m.body.toString())!, `${m.body} delay`).toBeLessThan(levelMs + 1_000);
      expect(at - due, `${m.body} lateness`).toBeGreaterThanOrEqual(0);
      expect(at - due, `${m.body} lateness`).toBeLessThanOrEqual(1_000);
    }
    // Past timer.max.delay.ms is refused before any level is chosen, as the proxy validates the time first.
    await expect(producer.send({ topic: 'later', body: Buffer.from('too late'), delay: 120_000 })).rejects.toMatchObject({ code: ILLEGAL_DELIVERY_TIME });
  });

  it('a delivery time beyond timer.max.delay.ms answers ILLEGAL_DELIVERY_TIME; a past one is delivered at once', async () => {
    const { producer, consumer } = await setup({ 'timer.max.delay.ms': '10000' });
    await expect(producer.send({ topic: 'later', body: Buffer.from('too late'), delay: 60_000 })).rejects.toMatchObject({ code: ILLEGAL_DELIVERY_TIME });
    await producer.send({ topic: 'later', body: Buffer.from('in range'), delay: 9_000 });
    await producer.send({ topic: 'later', body: Buffer.from('past'), deliveryTimestamp: new Date(Date.now() - 1_000) });
    const got = await receiveStamped(consumer, 1, 5_000);
    expect(got.map((g) => g.m.body.toString())).toEqual(['past']);
  });
});
