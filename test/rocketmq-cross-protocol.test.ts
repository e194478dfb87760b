// One store, two protocols, both engines: kafkajs reads what RocketMQ's
// Producer sent (body as value, first key as key, properties and the rmq.*
// system headers), and a RocketMQ SimpleConsumer reads what kafkajs
// produced (tags from an rmq.tag header, a message id derived from the
// record's place, a body digest computed on the way out). The group's
// committed offset shows in the offset store for Kafka's admin tools.
import { Kafka, logLevel, type Consumer as KafkaConsumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { committedAt } from './helpers/broker-events.js';
import { receiveUntil, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';
import { Progress } from './helpers/until.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ and Kafka over one log (%s)', (engine) => {
  let broker: TestBroker | undefined;
  const clients: (Producer | SimpleConsumer)[] = [];
  const kafkaConsumers: KafkaConsumer[] = [];
  afterEach(async () => {
    for (const c of kafkaConsumers.splice(0)) await c.disconnect().catch(() => undefined);
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  const kafka = (b: TestBroker): Kafka => new Kafka({ clientId: 'cross', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });

  it('kafkajs consumes what the RocketMQ Producer sent, with its headers', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('mixed', 1);
    const producer = await startProducer(broker.rocketmqEndpoint!, ['mixed']);
    clients.push(producer);
    const r = await producer.send({ topic: 'mixed', tag: 'TagA', keys: ['order-1', 'user-9'], properties: new Map([['color', 'red']]), body: Buffer.from('hello kafka') });
    const consumer = kafka(broker).consumer({ groupId: 'k', maxWaitTimeInMs: 100 });
    kafkaConsumers.push(consumer);
    const seen: { key: string | null; value: string; headers: Record<string, string[]> }[] = [];
    const consumed = new Progress();
    await consumer.connect();
    await consumer.subscribe({ topic: 'mixed', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = (Array.isArray(v) ? v : [v]).map((x) => String(x));
        seen.push({ key: message.key?.toString() ?? null, value: message.value!.toString(), headers });
        consumed.made();
      },
    });
    await consumed.until('the message', () => seen.length >= 1);
    expect(seen[0]).toMatchObject({ key: 'order-1', value: 'hello kafka' });
    expect(seen[0]!.headers).toMatchObject({ color: ['red'], 'rmq.tag': ['TagA'], 'rmq.key': ['order-1', 'user-9'], 'rmq.msg.id': [r.messageId] });
  });

  it('a SimpleConsumer receives what kafkajs produced, tags from rmq.tag headers', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('mixed', 1);
    const producer = kafka(broker).producer();
    await producer.connect();
    await producer.send({
      topic: 'mixed',
      messages: [
        { key: 'k0', value: 'plain', headers: { color: 'blue' } },
        { key: null, value: 'tagged', headers: { 'rmq.tag': 'A' } },
      ],
    });

    const onlyA = await startSimpleConsumer(broker.rocketmqEndpoint!, 'only-a', { mixed: 'A' });
    clients.push(onlyA);
    const a = await receiveUntil(onlyA, (all) => all.length >= 1);
    expect(a.map((m) => [m.body.toString(), m.tag])).toEqual([['tagged', 'A']]);
    await onlyA.ack(a[0]!);

    const all = await startSimpleConsumer(broker.rocketmqEndpoint!, 'all', { mixed: '*' });
    clients.push(all);
    const got = await receiveUntil(all, (ms) => ms.length >= 2);
    expect(got.map((m) => m.body.toString())).toEqual(['plain', 'tagged']);
    const plain = got[0]!;
    expect(plain.tag).toBeFalsy();
    expect(plain.keys).toEqual(['k0']);
    expect(plain.properties.get('color')).toBe('blue');
    expect(plain.corrupted).toBeFalsy();
    expect(plain.messageId).toMatch(/^00[0-9A-F]{32}$/);
    // Derived from the record's place: a second delivery names it alike.
    const other = await startSimpleConsumer(broker.rocketmqEndpoint!, 'other', { mixed: '*' });
    clients.push(other);
    const again = await receiveUntil(other, (ms) => ms.length >= 2);
    expect(again.map((m) => m.messageId)).toEqual(got.map((m) => m.messageId));
    for (const m of got) await all.ack(m);
    // The RocketMQ groups' offsets are where Kafka's admin tools look (stored within rocketmq.offset.commit.interval.ms).
    await committedAt(broker.broker, 'all', 'mixed', 0, 2n);
    const admin = kafka(broker).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'all', topics: ['mixed'] });
    await admin.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('2');

    // Nothing more for only-a ('plain' has no tag A, 'tagged' is acked): a
    // marker with tag A, sent last, is the next and only thing it receives.
    await producer.send({ topic: 'mixed', messages: [{ key: null, value: 'marker', headers: { 'rmq.tag': 'A' } }] });
    await producer.disconnect();
    const next = await receiveUntil(onlyA, (ms) => ms.some((m) => m.body.toString() === 'marker'));
    expect(next.map((m) => m.body.toString())).toEqual(['marker']);
  });

  it('a SimpleConsumer reads Kafka transactions as read_committed: no aborted record, no marker, nothing past an open transaction', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('ledger', 1);
    const producer = kafka(broker).producer({ transactionalId: 'ledger-writer', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'ledger', messages: [{ value: 'c1' }, { value: 'c2' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'ledger', messages: [{ value: 'a1' }] });
    await aborted.abort();
    const open = await producer.transaction();
    await open.send({ topic: 'ledger', messages: [{ value: 'o1' }] });
    const plain = kafka(broker).producer();
    await plain.connect();
    await plain.send({ topic: 'ledger', messages: [{ value: 'behind-open' }] });

    const c = await startSimpleConsumer(broker.rocketmqEndpoint!, 'ledger-readers', { ledger: '*' });
    clients.push(c);
    const first = await receiveUntil(c, (ms) => ms.length >= 2);
    expect(first.map((m) => m.body.toString())).toEqual(['c1', 'c2']);
    for (const m of first) await c.ack(m);
    // A receive now long-polls at the last stable offset and gets nothing.
    expect((await c.receive(16, 15_000)).map((m) => m.body.toString())).toEqual([]);
    await open.commit();
    const rest = await receiveUntil(c, (ms) => ms.length >= 2);
    expect(rest.map((m) => m.body.toString())).toEqual(['o1', 'behind-open']);
    await producer.disconnect();
    await plain.disconnect();
  });
});
