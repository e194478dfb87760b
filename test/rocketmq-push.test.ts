// The official PushConsumer against mqlab, on both engines: it starts
// (Telemetry settings for PUSH_CONSUMER, QueryAssignment: every queue of the
// topic), its listener's SUCCESS acks; FAILURE nacks, and the broker
// redelivers after the group's retry ladder with rising attempts, then moves
// the message to %DLQ%<group> after max.delivery.attempts. On a FIFO topic
// the client retries in place and forwards to the DLQ itself, and the next
// message of the group follows only then.
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumeResult, PushConsumer, type MessageView, type Producer } from 'rocketmq-client-nodejs';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { appended, committedAt } from './helpers/broker-events.js';
import { quietLogger, startProducer } from './helpers/rocketmq.js';
import { Progress } from './helpers/until.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ PushConsumer (%s)', (engine) => {
  let broker: TestBroker | undefined;
  const producers: Producer[] = [];
  const pushers: PushConsumer[] = [];
  afterEach(async () => {
    for (const p of producers.splice(0)) await p.shutdown().catch(() => undefined);
    // The broker first: a push consumer's shutdown waits out its long poll, which a closed endpoint ends at once.
    await broker?.destroy();
    broker = undefined;
    for (const c of pushers.splice(0)) await c.shutdown().catch(() => undefined);
  });

  /** Each delivery to a push consumer's listener: what the tests wait on. */
  const deliveries = new Progress();

  async function startPush(group: string, topic: string, consume: (m: MessageView) => ConsumeResult): Promise<PushConsumer> {
    const listener = (m: MessageView): ConsumeResult => {
      const r = consume(m);
      deliveries.made();
      return r;
    };
    const c = new PushConsumer({ endpoints: broker!.rocketmqEndpoint!, namespace: '', logger: quietLogger, consumerGroup: group, subscriptions: new Map([[topic, '*']]), messageListener: { consume: listener } });
    pushers.push(c);
    await c.startup();
    return c;
  }

  const dlqEnd = (group: string): bigint => (broker!.broker.topics.get(`DLQ.${group}`) ? broker!.broker.engine.highWatermark({ topic: `DLQ.${group}`, partition: 0 }) : 0n);

  it('SUCCESS acks every queue\'s messages; FAILURE comes back with attempts 1, 2, 3 and then is in the DLQ', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('jobs', 2);
    broker.broker.groupConfigs.alter('pushers', [{ name: 'max.delivery.attempts', value: '3' }, { name: 'retry.backoff.ladder', value: '1s' }]);
    const producer = await startProducer(broker.rocketmqEndpoint!, ['jobs']);
    producers.push(producer);
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'jobs', body: Buffer.from(`good ${i}`) });
    await producer.send({ topic: 'jobs', tag: 'poison', body: Buffer.from('bad') });
    // The client's producer writes queue 0 only: queue 1 gets a record through the broker core.
    await broker.broker.produce('jobs', 1, encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from('good q1') }] }), -1);

    const succeeded: string[] = [];
    const badAttempts: { attempt: number; at: number }[] = [];
    await startPush('pushers', 'jobs', (m) => {
      if (m.body.toString() === 'bad') {
        badAttempts.push({ attempt: m.deliveryAttempt!, at: Date.now() });
        return ConsumeResult.FAILURE;
      }
      succeeded.push(m.body.toString());
      return ConsumeResult.SUCCESS;
    });
    await deliveries.until('the good messages', () => succeeded.length >= 6, 40_000);
    expect(succeeded.sort()).toEqual(['good 0', 'good 1', 'good 2', 'good 3', 'good 4', 'good q1']);
    await appended(broker.broker, 'DLQ.pushers', 0, 1n, 40_000);
    expect(badAttempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Each retry waited the ladder's 1 s (the client asked for 0: it cannot read a customized backoff).
    for (let i = 1; i < badAttempts.length; i++) expect(badAttempts[i]!.at - badAttempts[i - 1]!.at).toBeGreaterThanOrEqual(900);
    await Promise.all([committedAt(broker.broker, 'pushers', 'jobs', 0, 6n), committedAt(broker.broker, 'pushers', 'jobs', 1, 1n)]);
    // Nothing comes back after the DLQ.
    expect(badAttempts.length).toBe(3);
  });

  it('FIFO: the client retries in place, forwards to the DLQ, and only then does the group go on', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('orders', 1, { 'message.type': 'FIFO' });
    broker.broker.groupConfigs.alter('fifo-pushers', [{ name: 'max.delivery.attempts', value: '3' }]);
    const bodies = ['A-0', 'B-0', 'A-1', 'B-1', 'A-2', 'B-2'];
    const records = bodies.map((b) => ({ key: null, value: Buffer.from(b), headers: [{ key: 'rmq.message.group', value: Buffer.from(b[0]!) }] }));
    await broker.broker.produce('orders', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }), -1);
    const seen: string[] = [];
    await startPush('fifo-pushers', 'orders', (m) => {
      seen.push(`${m.body.toString()}#${m.deliveryAttempt}`);
      return m.body.toString() === 'A-0' ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
    });
    await deliveries.until('every message', () => seen.filter((s) => !s.startsWith('A-0')).length >= 5, 40_000);
    const a = seen.filter((s) => s.startsWith('A'));
    expect(a).toEqual(['A-0#1', 'A-0#2', 'A-0#3', 'A-1#1', 'A-2#1']);
    expect(seen.filter((s) => s.startsWith('B'))).toEqual(['B-0#1', 'B-1#1', 'B-2#1']);
    expect(dlqEnd('fifo-pushers')).toBe(1n);
    await committedAt(broker.broker, 'fifo-pushers', 'orders', 0, 6n);
  });
});
