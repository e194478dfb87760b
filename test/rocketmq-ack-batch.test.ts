// An AckMessage of a whole received batch, on both engines: every entry is
// answered in order (a bad handle among them fails alone), the group's
// committed offset moves past the batch, and the offset store takes one
// append for the batch, not one per entry (32 appends per ack were most of
// a receive's broker CPU).
import { afterEach, describe, expect, it } from 'vitest';
import { OFFSETS_TOPIC } from '../src/broker/groups/offset-store.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { committedAt } from './helpers/broker-events.js';
import { rawClient, rawReceive, rawUnary, type RawClient } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;

describe.each(ENGINES)('RocketMQ AckMessage of a batch (%s)', (engine) => {
  let broker: TestBroker | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    client?.close();
    await broker?.destroy();
    broker = undefined;
  });

  it('acks 32 entries with one offset commit, and answers a bad handle among them alone', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('jobs', 1);
    client = rawClient(broker.rocketmqEndpoint!);
    const messages = Array.from({ length: 32 }, (_, i) => ({ topic: { name: 'jobs' }, systemProperties: { messageId: `01${String(i).padStart(32, '0')}`, messageType: 'NORMAL' }, body: Buffer.from(`job ${i}`) }));
    const sent = await rawUnary(client, 'SendMessage', { messages });
    expect([sent.status.code, sent.entries.map((e: { offset: string }) => e.offset)]).toEqual(['OK', messages.map((_, i) => String(i))]);
    const answers = await rawReceive(client, { group: { name: 'workers' }, messageQueue: { topic: { name: 'jobs' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 32, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } });
    const got = answers.filter((a) => a.message).map((a) => a.message);
    expect(got.map((m) => m.body.toString())).toEqual(messages.map((m) => m.body.toString()));
    const offsets = { topic: OFFSETS_TOPIC, partition: 0 };
    const before = broker.broker.engine.highWatermark(offsets);
    const entries = got.map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle }));
    entries.splice(5, 0, { messageId: 'bogus', receiptHandle: 'not a handle' });
    const acked = await rawUnary(client, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries });
    expect(acked.status.code).toBe('MULTIPLE_RESULTS');
    expect(acked.entries.map((e: { messageId: string; status: { code: string } }) => [e.messageId, e.status.code])).toEqual(entries.map((e) => [e.messageId, e.messageId === 'bogus' ? 'INVALID_RECEIPT_HANDLE' : 'OK']));
    await committedAt(broker.broker, 'workers', 'jobs', 0, 32n);
    expect(broker.broker.engine.highWatermark(offsets) - before).toBe(1n);
  });

  it('stores no offset for a topic deleted before its commit was due, nor for the topic created again under its name', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'rocketmq.offset.commit.interval.ms': '3600000' }, { rocketmq: true });
    broker.broker.createTopic('jobs', 1);
    client = rawClient(broker.rocketmqEndpoint!);
    const send = (n: number) => rawUnary(client!, 'SendMessage', { messages: Array.from({ length: n }, (_, i) => ({ topic: { name: 'jobs' }, systemProperties: { messageId: `01${String(i).padStart(32, '0')}`, messageType: 'NORMAL' }, body: Buffer.from(`job ${i}`) })) });
    const take = async () => (await rawReceive(client!, { group: { name: 'workers' }, messageQueue: { topic: { name: 'jobs' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 32, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } })).filter((a) => a.message).map((a) => a.message);
    expect((await send(5)).status.code).toBe('OK');
    const got = await take();
    const acked = await rawUnary(client, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries: got.map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle })) });
    expect([got.length, acked.status.code]).toEqual([5, 'OK']);
    // Deleted with its commit still due, then created again: the new topic's group starts at its beginning.
    await broker.broker.deleteTopic('jobs');
    broker.broker.createTopic('jobs', 1);
    await broker.rocketmq!.commitOffsets();
    expect(broker.broker.coordinator.committed('workers', 'jobs', 0).offset).toBe(-1n);
    expect((await send(2)).status.code).toBe('OK');
    expect((await take()).map((m) => m.body.toString())).toEqual(['job 0', 'job 1']);
  });
});
