// Transactional messages through the official client's Transaction API,
// both engines: a half message is invisible until committed, never visible
// once rolled back; one left open past transaction.timeout.ms is checked
// back over the producer's Telemetry stream and the checker's answer is
// applied; after transaction.check.max unanswered checks it is discarded
// to TRANS_CHECK_MAX_TIME_TOPIC.
import { describe, expect, it } from 'vitest';
import type { MessageView } from 'rocketmq-client-nodejs';
import { receiveUntil, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';
import { COMMIT, ROLLBACK, txProducer, UNSPECIFIED } from './helpers/rocketmq-transaction.js';
import { appended } from './helpers/broker-events.js';
import { until } from './helpers/until.js';

const ENGINES = ['segmented', 'commitlog'] as const;
describe.each(ENGINES)('RocketMQ transactional messages (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  async function setup(settings: Record<string, string> = {}, answer: (m: MessageView) => number = () => UNSPECIFIED) {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine, ...settings });
    broker.broker.createTopic('orders', 1, { 'message.type': 'TRANSACTION' });
    const { producer, checked, checks } = await txProducer(broker.rocketmqEndpoint!, 'orders', answer);
    rmq.track(producer);
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'g', { orders: '*' }, 2_000);
    rmq.track(consumer);
    const queued = () => rmq.broker.broker.engine.highWatermark({ topic: 'orders', partition: 0 });
    return { producer, consumer, checked, checks, queued };
  }

  it('commit makes the half message visible; rollback never does', async () => {
    const { producer, consumer, checked, queued } = await setup();
    const t1 = producer.beginTransaction();
    const r1 = await producer.send({ topic: 'orders', tag: 'paid', keys: ['o-1'], body: Buffer.from('order 1') }, t1);
    expect(r1.transactionId).not.toBe('');
    expect(queued()).toBe(0n); // stored as a half message, not in the topic
    // Nor seen by a consumer: a transaction begun after it and committed is the next and only thing received.
    const marker = producer.beginTransaction();
    await producer.send({ topic: 'orders', body: Buffer.from('marker') }, marker);
    await marker.commit();
    const first = await receiveUntil(consumer, (all) => all.length >= 1);
    expect(first.map((m) => m.body.toString())).toEqual(['marker']);
    await consumer.ack(first[0]!);
    await t1.commit();
    expect(queued()).toBe(2n);
    const t2 = producer.beginTransaction();
    await producer.send({ topic: 'orders', body: Buffer.from('order 2') }, t2);
    await t2.rollback();
    const t3 = producer.beginTransaction();
    await producer.send({ topic: 'orders', body: Buffer.from('order 3') }, t3);
    await t3.commit();
    const got = await receiveUntil(consumer, (all) => all.length >= 2);
    expect(got.map((m) => [m.body.toString(), m.messageId])).toEqual([['order 1', r1.messageId], ['order 3', expect.any(String)]]);
    expect(got[0]!.tag).toBe('paid');
    expect(got[0]!.keys).toEqual(['o-1']);
    expect(queued()).toBe(3n);
    // Ending again is refused with INVALID_TRANSACTION_ID (40008).
    await expect(t1.commit()).rejects.toMatchObject({ code: 40008 });
    expect(checked).toEqual([]);
  });

  it('an open transaction is checked back after transaction.timeout.ms, and the checker\'s answer applies', async () => {
    const answers = new Map([['commit me', COMMIT], ['roll me back', ROLLBACK]]);
    const { producer, consumer, checked, checks, queued } = await setup({ 'transaction.timeout.ms': '1000', 'transaction.check.interval.ms': '1000' }, (m) => answers.get(m.body.toString())!);
    const sentAt = Date.now();
    const a = await producer.send({ topic: 'orders', body: Buffer.from('commit me'), properties: new Map([['k', 'v']]) }, producer.beginTransaction());
    await producer.send({ topic: 'orders', body: Buffer.from('roll me back') }, producer.beginTransaction());
    const got = await receiveUntil(consumer, (all) => all.length >= 1);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_000);
    expect(got.map((m) => m.body.toString())).toEqual(['commit me']);
    await checks.until('both checks asked', () => checked.length >= 2);
    const view = checked.find((m) => m.body.toString() === 'commit me')!;
    expect([view.messageId, view.topic, view.properties.get('k'), Boolean(view.corrupted)]).toEqual([a.messageId, 'orders', 'v', false]);
    // The checker's answers applied: no transaction is left open, so the
    // rolled-back one can never show up; only the committed one is in the topic.
    await until('both answers applied', () => rmq.broker.rocketmq!.openTransactions() === 0);
    expect(queued()).toBe(1n);
    // Nor does a consumer see it: a transaction begun after and committed is the next and only thing received.
    const marker = producer.beginTransaction();
    await producer.send({ topic: 'orders', body: Buffer.from('marker') }, marker);
    await marker.commit();
    const next = await receiveUntil(consumer, (all) => all.length >= 1);
    expect(next.map((m) => m.body.toString())).toEqual(['marker']);
    expect(queued()).toBe(2n);
  });

  it('after transaction.check.max unanswered checks the half message goes to TRANS_CHECK_MAX_TIME_TOPIC', async () => {
    const { producer, checked, queued } = await setup({ 'transaction.timeout.ms': '500', 'transaction.check.interval.ms': '500', 'transaction.check.max': '2' });
    const r = await producer.send({ topic: 'orders', body: Buffer.from('undecided') }, producer.beginTransaction());
    const tp = { topic: 'TRANS_CHECK_MAX_TIME_TOPIC', partition: 0 };
    await appended(rmq.broker.broker, tp.topic, tp.partition, 1n);
    expect(rmq.broker.broker.engine.highWatermark(tp)).toBe(1n);
    expect(checked.map((m) => m.messageId)).toEqual([r.messageId, r.messageId]);
    expect(queued()).toBe(0n);
    const dlq = await startSimpleConsumer(rmq.broker.rocketmqEndpoint!, 'ops', { TRANS_CHECK_MAX_TIME_TOPIC: '*' });
    rmq.track(dlq);
    const [m] = await receiveUntil(dlq, (all) => all.length >= 1);
    expect([m!.body.toString(), m!.messageId, m!.properties.get('REAL_TOPIC'), m!.properties.get('TRANSACTION_CHECK_TIMES')]).toEqual(['undecided', r.messageId, 'orders', '2']);
    await expect(producer.send({ topic: 'orders', body: Buffer.from('x') })).rejects.toThrow(/message type/i);
  });
});
