// Invisible time and redelivery, on both engines: a message not acked within
// its invisible duration comes back, from the group's retry topic, with the
// next delivery attempt and a new receipt handle (the old one no longer
// acks); changeInvisibleDuration renews with a new handle; acked (or
// revived) messages move the group's committed offset past the contiguous
// prefix only.
import { describe, expect, it } from 'vitest';
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { committedAt } from './helpers/broker-events.js';
import { receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;
/** RocketMQ's Code.INVALID_RECEIPT_HANDLE */
const INVALID_RECEIPT_HANDLE = 40013;

describe.each(ENGINES)('RocketMQ redelivery (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  async function setup(): Promise<{ producer: Producer; consumer: SimpleConsumer }> {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 1);
    const producer = await startProducer(broker.rocketmqEndpoint!, ['jobs']);
    rmq.track(producer);
    // Long polls of 3 s: longer than the 1 s invisible times below, so a
    // receive waits out an invisible time instead of the test sleeping.
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000);
    rmq.track(consumer);
    return { producer, consumer };
  }

  it('an unacked message comes back after its invisible time with delivery attempt 2', async () => {
    const { producer, consumer } = await setup();
    await producer.send({ topic: 'jobs', tag: 'T', body: Buffer.from('job 0') });
    await producer.send({ topic: 'jobs', tag: 'T', body: Buffer.from('job 1') });
    const first = await receiveUntil(consumer, (all) => all.length >= 2, 1_000);
    expect(first.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['job 0', 1], ['job 1', 1]]);
    await consumer.ack(first[1]!); // job 1 acked, job 0 left to expire
    const t0 = Date.now();
    const again = await receiveUntil(consumer, (all) => all.length >= 1, 15_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500); // not before its invisible time ran out
    expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['job 0', 2]]);
    expect(again[0]!.messageId).toBe(first[0]!.messageId);
    expect(again[0]!.receiptHandle).not.toBe(first[0]!.receiptHandle);
    // Job 0 came back from the group's retry topic, as a copy: its queue's offset commits past it, the retry topic's not yet.
    expect(again[0]!.topic).toBe('jobs');
    expect(again[0]!.properties.size).toBe(0); // the copy's origin is in system properties, not the user's
    await committedAt(rmq.broker.broker, 'workers', 'jobs', 0, 2n);
    expect(rmq.broker.broker.coordinator.committed('workers', 'RETRY.workers', 0).offset).toBe(-1n);
    await expect(consumer.ack(first[0]!)).rejects.toMatchObject({ code: INVALID_RECEIPT_HANDLE });
    await consumer.ack(again[0]!);
    await committedAt(rmq.broker.broker, 'workers', 'RETRY.workers', 0, 1n);
    // Acking twice with the current handle is harmless.
    await consumer.ack(again[0]!);
  });

  it('changeInvisibleDuration keeps a message invisible longer and returns a new handle', async () => {
    const { producer, consumer } = await setup();
    await producer.send({ topic: 'jobs', body: Buffer.from('slow job') });
    const [m] = await receiveUntil(consumer, (all) => all.length >= 1, 1_000);
    const oldHandle = m!.receiptHandle;
    await consumer.changeInvisibleDuration(m!, 30_000);
    expect(m!.receiptHandle).not.toBe(oldHandle);
    // A whole long poll (3 s, three times the first invisible time) sees nothing.
    expect(await consumer.receive(16, 1_000)).toEqual([]);
    // Shortened again, it comes back as attempt 2.
    await consumer.changeInvisibleDuration(m!, 1_000);
    const again = await receiveUntil(consumer, (all) => all.length >= 1, 15_000);
    expect(again.map((x) => [x.body.toString(), x.deliveryAttempt])).toEqual([['slow job', 2]]);
    // The renewed handle of the earlier delivery is stale now.
    await expect(consumer.ack(m!)).rejects.toMatchObject({ code: INVALID_RECEIPT_HANDLE });
    await consumer.ack(again[0]!);
    await committedAt(rmq.broker.broker, 'workers', 'jobs', 0, 1n);
  });

  it('a restart keeps in-flight messages out: the handles given before it ack them, and attempts count on', async () => {
    const { producer, consumer } = await setup();
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'jobs', body: Buffer.from(`job ${i}`) });
    const got = await receiveUntil(consumer, (all) => all.length >= 3, 60_000);
    await consumer.ack(got[0]!);
    await rmq.shutdownClients();
    const broker = await rmq.restart();
    const consumer2 = await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000);
    rmq.track(consumer2);
    // Jobs 1 and 2 are out for another minute (one long poll finds nothing).
    expect(await consumer2.receive(16, 60_000)).toEqual([]);
    await consumer2.ack(got[1]!);
    await consumer2.changeInvisibleDuration(got[2]!, 1_000);
    const again = await receiveUntil(consumer2, (all) => all.length >= 1, 15_000);
    expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['job 2', 2]]);
    await consumer2.ack(again[0]!);
    await committedAt(rmq.broker.broker, 'workers', 'jobs', 0, 3n);
  });
});
