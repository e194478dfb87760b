// Retry and dead letters, on both engines: a message received and not acked
// comes back with rising delivery attempts until the group's
// max.delivery.attempts (a group config set over Kafka's
// IncrementalAlterConfigs, resource type GROUP) are used up; then it is in
// %DLQ%<group>, readable by a RocketMQ consumer under that name and by Kafka
// consumers as DLQ.<group>, with its properties and where it came from.
// ForwardMessageToDeadLetterQueue moves one at once.
import { describe, expect, it } from 'vitest';
import type { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { dlqTopic, rocketTopic, storedTopic } from '../src/broker/rocketmq/system-topics.js';
import { Admin } from '../src/client/admin.js';
import { committedAt } from './helpers/broker-events.js';
import { kafkaHeaders } from './helpers/kafka-headers.js';
import { rawClient, rawReceive, rawUnary, receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;

it('%DLQ%<group> is stored as DLQ.<group>, one-to-one both ways', () => {
  expect(storedTopic('%DLQ%workers')).toBe('DLQ.workers');
  expect(rocketTopic('DLQ.workers')).toBe('%DLQ%workers');
  // Characters Kafka names cannot hold, and a Kafka group id's dot, are escaped as .XX.
  expect(dlqTopic('a|b%c')).toBe('DLQ.a.7Cb.25c');
  expect(dlqTopic('kafka.group')).toBe('DLQ.kafka.2Egroup');
  expect(dlqTopic('été')).toBe('DLQ..C3.A9t.C3.A9');
  for (const g of ['workers', 'a|b%c', 'kafka.group', 'été', 'x_y-z']) {
    expect(dlqTopic(g)).toMatch(/^[a-zA-Z0-9._-]+$/);
    expect(rocketTopic(dlqTopic(g))).toBe(`%DLQ%${g}`);
  }
  // Other names are themselves; a DLQ.-name that is no escape stays a plain topic.
  expect(storedTopic('orders')).toBe('orders');
  expect(storedTopic('%RETRY%workers')).toBe('RETRY.workers');
  expect(rocketTopic('RETRY.workers')).toBe('%RETRY%workers');
  expect(storedTopic('%RETRY%a|b')).toBe('RETRY.a.7Cb');
  expect(storedTopic('%OTHER%x')).toBe('%OTHER%x');
  expect(rocketTopic('DLQ.bad.escape')).toBe('DLQ.bad.escape');
});

describe.each(ENGINES)('RocketMQ retry and DLQ (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  async function setup(maxAttempts: number): Promise<{ producer: Producer; consumer: SimpleConsumer }> {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('jobs', 1);
    const admin = await Admin.connect(broker.bootstrap);
    try {
      await admin.alterConfigs({ 'max.delivery.attempts': String(maxAttempts) }, { group: 'workers' });
      const described = await admin.describeConfigs({ group: 'workers' });
      expect(described.find((c) => c.name === 'max.delivery.attempts')).toMatchObject({ value: String(maxAttempts), source: 8 });
      expect(described.find((c) => c.name === 'retry.backoff.ladder')?.value).toBe('10s,30s,1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,20m,30m,1h,2h');
    } finally {
      admin.close();
    }
    const producer = await startProducer(broker.rocketmqEndpoint!, ['jobs']);
    rmq.track(producer);
    // Long polls of 3 s outlast the 1 s invisible times: a receive waits a message's return out.
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'workers', { jobs: '*' }, 3_000);
    rmq.track(consumer);
    return { producer, consumer };
  }

  const dlqEnd = (): bigint => (rmq.broker.broker.topics.get('DLQ.workers') ? rmq.broker.broker.engine.highWatermark({ topic: 'DLQ.workers', partition: 0 }) : 0n);

  it('an unacked message comes back with attempts 1, 2, 3, then is in %DLQ%workers with its origin', async () => {
    const { producer, consumer } = await setup(3);
    const sent = await producer.send({ topic: 'jobs', tag: 'T', keys: ['poison-1'], properties: new Map([['why', 'test']]), body: Buffer.from('poison') });
    await producer.send({ topic: 'jobs', body: Buffer.from('fine') });
    const attempts: number[] = [];
    const seen: MessageView[] = [];
    const deadline = Date.now() + 40_000;
    // Receive (never acking the poison) until it has left for the DLQ.
    while (dlqEnd() < 1n) {
      if (Date.now() > deadline) throw new Error(`no dead letter after attempts ${attempts.join(',')}`);
      for (const m of await consumer.receive(16, 1_000)) {
        seen.push(m);
        if (m.body.toString() === 'fine') await consumer.ack(m);
        else attempts.push(m.deliveryAttempt!);
      }
    }
    expect(attempts).toEqual([1, 2, 3]);
    // Nothing comes back any more: a marker sent now is the next and only
    // thing received. The poison no longer holds the committed offset: it
    // moves to the marker's.
    await producer.send({ topic: 'jobs', body: Buffer.from('marker') });
    const next = await receiveUntil(consumer, (all) => all.some((m) => m.body.toString() === 'marker'));
    expect(next.map((m) => m.body.toString())).toEqual(['marker']);
    await committedAt(rmq.broker.broker, 'workers', 'jobs', 0, 2n);
    await consumer.ack(next[0]!);
    // Its last handle acks a message that is settled already: harmless, as acking twice.
    await consumer.ack(seen.filter((m) => m.body.toString() === 'poison').pop()!);
    expect(dlqEnd()).toBe(1n);

    // A RocketMQ consumer reads it as %DLQ%workers, same id, tag, keys and properties.
    const dlqReader = await startSimpleConsumer(rmq.broker.rocketmqEndpoint!, 'dlq-readers', { '%DLQ%workers': '*' });
    rmq.track(dlqReader);
    const [d] = await receiveUntil(dlqReader, (all) => all.length >= 1);
    expect(d!.topic).toBe('%DLQ%workers');
    expect(d!.body.toString()).toBe('poison');
    expect(d!.messageId).toBe(sent.messageId);
    expect(d!.tag).toBe('T');
    expect(d!.keys).toEqual(['poison-1']);
    expect(Object.fromEntries(d!.properties)).toEqual({
      why: 'test',
      DLQ_ORIGIN_TOPIC: 'jobs',
      DLQ_ORIGIN_QUEUE_ID: '0',
      DLQ_ORIGIN_QUEUE_OFFSET: '0',
      DLQ_ORIGIN_MESSAGE_ID: sent.messageId,
      DLQ_DELIVERY_ATTEMPTS: '3',
    });
    await dlqReader.ack(d!);

    // A Kafka consumer reads it as DLQ.workers, the origin in headers.
    const headers = await kafkaHeaders(rmq.broker.bootstrap, 'DLQ.workers');
    expect(headers[0]).toMatchObject({ 'rmq.msg.id': sent.messageId, 'rmq.tag': 'T', DLQ_ORIGIN_TOPIC: 'jobs', DLQ_DELIVERY_ATTEMPTS: '3' });
  });

  it('ForwardMessageToDeadLetterQueue moves a delivery at once, once', async () => {
    const { producer } = await setup(16);
    await producer.send({ topic: 'jobs', body: Buffer.from('hopeless') });
    const raw = rawClient(rmq.broker.rocketmqEndpoint!);
    try {
      const replies = await rawReceive(raw, { group: { name: 'workers' }, messageQueue: { topic: { name: 'jobs' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '5' } });
      const m = replies.find((r) => r.message)!.message;
      const request = { group: { name: 'workers' }, topic: { name: 'jobs' }, receiptHandle: m.systemProperties.receiptHandle, messageId: m.systemProperties.messageId, deliveryAttempt: 1, maxDeliveryAttempts: 16 };
      expect((await rawUnary(raw, 'ForwardMessageToDeadLetterQueue', request)).status.code).toBe('OK');
      expect(dlqEnd()).toBe(1n);
      // Asked again (an answer lost): done already.
      expect((await rawUnary(raw, 'ForwardMessageToDeadLetterQueue', request)).status.code).toBe('OK');
      expect(dlqEnd()).toBe(1n);
      const ack = await rawUnary(raw, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries: [{ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle }] });
      expect(ack.status.code).toBe('OK'); // acking what is done already is harmless, as twice
      const bad = await rawUnary(raw, 'ForwardMessageToDeadLetterQueue', { ...request, receiptHandle: 'nonsense' });
      expect(bad.status.code).toBe('INVALID_RECEIPT_HANDLE');
      const noGroup = await rawUnary(raw, 'ForwardMessageToDeadLetterQueue', { ...request, group: { name: '' } });
      expect(noGroup.status.code).toBe('ILLEGAL_CONSUMER_GROUP');
      // A group whose DLQ could not be named is refused before it takes anything.
      const long = await rawReceive(raw, { group: { name: 'g'.repeat(250) }, messageQueue: { topic: { name: 'jobs' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } });
      expect(long[0].status.code).toBe('ILLEGAL_CONSUMER_GROUP');
      // The committed offset moved past it (stored before the forward was answered).
      expect(rmq.broker.broker.coordinator.committed('workers', 'jobs', 0).offset).toBe(1n);
      const route = await rawUnary(raw, 'QueryRoute', { topic: { name: '%DLQ%workers' } });
      expect(route.status.code).toBe('OK');
      expect(route.messageQueues.map((q: { id: number }) => q.id)).toEqual([0]);
      expect((await rawUnary(raw, 'QueryRoute', { topic: { name: '%RETRY%workers' } })).status.code).toBe('TOPIC_NOT_FOUND');
    } finally {
      raw.close();
    }
  });

  it('group configs survive a restart and bad values are refused', async () => {
    await setup(3);
    const admin = await Admin.connect(rmq.broker.bootstrap);
    try {
      await expect(admin.alterConfigs({ 'max.delivery.attempts': '0' }, { group: 'workers' })).rejects.toThrow(/max.delivery.attempts=0/);
      await expect(admin.alterConfigs({ 'retry.backoff.ladder': '10s,soon' }, { group: 'workers' })).rejects.toThrow(/"soon" is not a duration/);
      await expect(admin.alterConfigs({ 'no.such': '1' }, { group: 'workers' })).rejects.toThrow(/unknown group config/);
      await admin.alterConfigs({ 'retry.backoff.ladder': '1s,2s', fifo: 'false' }, { group: 'workers' });
    } finally {
      admin.close();
    }
    await rmq.shutdownClients();
    const broker = await rmq.restart();
    expect(broker.broker.groupConfigs.settings('workers')).toEqual({ maxDeliveryAttempts: 3, backoffSteps: [1000, 2000], fifo: false });
    expect(broker.broker.groupConfigs.settings('others')).toMatchObject({ maxDeliveryAttempts: 16, fifo: true });
  });
});
