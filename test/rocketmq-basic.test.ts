// RocketMQ's official Node client against mqlab's RocketMQ endpoint, on both
// engines: Producer.send with tags, keys and properties; SimpleConsumer with
// a tag expression gets exactly the matching messages, acks them, and the
// group's committed offset lands in the offset store.
import { describe, expect, it } from 'vitest';
import { committedAt } from './helpers/broker-events.js';
import { receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ Producer and SimpleConsumer (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  it('sends with tags, keys and properties; A || B receives exactly those; ack commits', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('orders', 1);
    const endpoint = broker.rocketmqEndpoint!;
    const producer = await startProducer(endpoint, ['orders']);
    rmq.track(producer);
    const tags = ['A', 'B', 'C', 'A', 'B', 'C', 'A'];
    const receipts = [];
    for (let i = 0; i < tags.length; i++) {
      receipts.push(await producer.send({ topic: 'orders', tag: tags[i], keys: [`k${i}`, `x${i}`], properties: new Map([['n', String(i)]]), body: Buffer.from(`order ${i}`) }));
    }
    expect(receipts.map((r) => Number(r.offset))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(new Set(receipts.map((r) => r.messageId)).size).toBe(7);

    const consumer = await startSimpleConsumer(endpoint, 'g1', { orders: 'A || B' });
    rmq.track(consumer);
    const got = await receiveUntil(consumer, (all) => all.length >= 5);
    expect(got.map((m) => m.body.toString())).toEqual(['order 0', 'order 1', 'order 3', 'order 4', 'order 6']);
    for (const m of got) {
      const i = Number(m.properties.get('n'));
      expect(m.tag).toBe(tags[i]);
      expect(m.keys).toEqual([`k${i}`, `x${i}`]);
      expect(m.messageId).toBe(receipts[i]!.messageId);
      expect(m.corrupted).toBeFalsy();
      expect(m.deliveryAttempt).toBe(1);
      expect(Number(m.offset)).toBe(i);
      await consumer.ack(m);
    }
    // Acked 0..6 (2 and 5 filtered out): the group's committed offset is the end of the queue.
    await committedAt(broker.broker, 'g1', 'orders', 0, 7n);
    // Everything taken or filtered out: a marker tagged A, sent last, is the next and only thing received.
    await producer.send({ topic: 'orders', tag: 'A', body: Buffer.from('marker') });
    const next = await receiveUntil(consumer, (all) => all.some((m) => m.body.toString() === 'marker'));
    expect(next.map((m) => m.body.toString())).toEqual(['marker']);
    expect(broker.broker.coordinator.committed('g1', 'orders', 0).offset).toBe(7n);
  });
});
